# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_ctnet_global_optspecs
    string join \n state-dir= format= q/quiet v/verbose dry-run store= store-cacert= store-cert= store-key= store-user= insecure-store config= h/help V/version
end

function __fish_ctnet_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_ctnet_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_ctnet_using_subcommand
    set -l cmd (__fish_ctnet_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c ctnet -n "__fish_ctnet_needs_command" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_needs_command" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_needs_command" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_needs_command" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_needs_command" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_needs_command" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_needs_command" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_needs_command" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_needs_command" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_needs_command" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_needs_command" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_needs_command" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_needs_command" -s V -l version -d 'Print version'
complete -c ctnet -n "__fish_ctnet_needs_command" -f -a "network" -d 'Manage networks'
complete -c ctnet -n "__fish_ctnet_needs_command" -f -a "sandbox" -d 'Manage sandboxes (network namespaces)'
complete -c ctnet -n "__fish_ctnet_needs_command" -f -a "connect" -d 'Connect a sandbox to a network'
complete -c ctnet -n "__fish_ctnet_needs_command" -f -a "disconnect" -d 'Disconnect a sandbox from a network'
complete -c ctnet -n "__fish_ctnet_needs_command" -f -a "publish" -d 'Publish ports of a connected sandbox on the host'
complete -c ctnet -n "__fish_ctnet_needs_command" -f -a "unpublish" -d 'Remove published ports'
complete -c ctnet -n "__fish_ctnet_needs_command" -f -a "port" -d 'List a sandbox\'s published ports, like `docker port`'
complete -c ctnet -n "__fish_ctnet_needs_command" -f -a "gc" -d 'Remove what belongs to dead sandboxes and kernel objects the state does not know'
complete -c ctnet -n "__fish_ctnet_needs_command" -f -a "restore" -d 'Re-create the kernel side of the state (after a reboot); safe to run twice'
complete -c ctnet -n "__fish_ctnet_needs_command" -f -a "doctor" -d 'Check what this host has and lacks for ctnet (exit 1 if something needed is missing)'
complete -c ctnet -n "__fish_ctnet_needs_command" -f -a "graph" -d 'Draw the host\'s networks, sandboxes, addresses and ports (--format dot|mermaid)'
complete -c ctnet -n "__fish_ctnet_needs_command" -f -a "impair" -d 'Impair an endpoint\'s link: delay, jitter, loss, corruption, rate, or down and up'
complete -c ctnet -n "__fish_ctnet_needs_command" -f -a "lab" -d 'Labs kept as files: networks, nodes and point-to-point links in YAML'
complete -c ctnet -n "__fish_ctnet_needs_command" -f -a "why" -d 'Why FROM can or cannot reach TO[:PORT[/PROTO]]: the rule that decides, in words and as nft (FROM and TO: a sandbox, an address, host or outside)'
complete -c ctnet -n "__fish_ctnet_needs_command" -f -a "run" -d 'Run a command in a new sandbox, connected and with ports published; remove it all when the command ends, and exit with its status'
complete -c ctnet -n "__fish_ctnet_needs_command" -f -a "dns" -d 'Name resolution for sandboxes'
complete -c ctnet -n "__fish_ctnet_needs_command" -f -a "overlay" -d 'Cluster-mode overlay networks (with --store)'
complete -c ctnet -n "__fish_ctnet_needs_command" -f -a "cni" -d 'ctnet as a CNI plugin for container runtimes (podman, containerd)'
complete -c ctnet -n "__fish_ctnet_needs_command" -f -a "service" -d 'Manage services: names whose tasks are the sandboxes carrying them as an alias'
complete -c ctnet -n "__fish_ctnet_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c ctnet -n "__fish_ctnet_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and not __fish_seen_subcommand_from create ls inspect rm prune connect disconnect help" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and not __fish_seen_subcommand_from create ls inspect rm prune connect disconnect help" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and not __fish_seen_subcommand_from create ls inspect rm prune connect disconnect help" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and not __fish_seen_subcommand_from create ls inspect rm prune connect disconnect help" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and not __fish_seen_subcommand_from create ls inspect rm prune connect disconnect help" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and not __fish_seen_subcommand_from create ls inspect rm prune connect disconnect help" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and not __fish_seen_subcommand_from create ls inspect rm prune connect disconnect help" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and not __fish_seen_subcommand_from create ls inspect rm prune connect disconnect help" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and not __fish_seen_subcommand_from create ls inspect rm prune connect disconnect help" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and not __fish_seen_subcommand_from create ls inspect rm prune connect disconnect help" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and not __fish_seen_subcommand_from create ls inspect rm prune connect disconnect help" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and not __fish_seen_subcommand_from create ls inspect rm prune connect disconnect help" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and not __fish_seen_subcommand_from create ls inspect rm prune connect disconnect help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and not __fish_seen_subcommand_from create ls inspect rm prune connect disconnect help" -f -a "create" -d 'Create a network'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and not __fish_seen_subcommand_from create ls inspect rm prune connect disconnect help" -f -a "ls" -d 'List networks'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and not __fish_seen_subcommand_from create ls inspect rm prune connect disconnect help" -f -a "inspect" -d 'Show networks as JSON, with Docker\'s field names'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and not __fish_seen_subcommand_from create ls inspect rm prune connect disconnect help" -f -a "rm" -d 'Remove networks (refused while endpoints are attached)'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and not __fish_seen_subcommand_from create ls inspect rm prune connect disconnect help" -f -a "prune" -d 'Remove every network without endpoints'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and not __fish_seen_subcommand_from create ls inspect rm prune connect disconnect help" -f -a "connect" -d 'Same as `ctnet connect`'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and not __fish_seen_subcommand_from create ls inspect rm prune connect disconnect help" -f -a "disconnect" -d 'Same as `ctnet disconnect`'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and not __fish_seen_subcommand_from create ls inspect rm prune connect disconnect help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from create" -s d -l driver -d 'Driver: bridge (default), macvlan, ipvlan, overlay, p2p (a link between two sandboxes)' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from create" -l subnet -d 'Subnet in CIDR form; taken from the default pools when absent' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from create" -l gateway -d 'Gateway address (default: the subnet\'s first usable address)' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from create" -l ip-range -d 'Allocate endpoint addresses from this sub-range only' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from create" -l aux-address -d 'Reserve an address: NAME=IP' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from create" -l ipv4 -d 'IPv4 addressing; `--ipv4=false` with --ipv6 makes an IPv6-only network' -r -f -a "true\t''
false\t''"
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from create" -l dns -d 'DNS server for the network\'s sandboxes: the resolver forwards their other queries here' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from create" -l label -d 'Metadata: K=V' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from create" -s o -l opt -d 'Driver option: bridge.name, mtu, icc, masquerade (Docker\'s names work too)' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from create" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from create" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from create" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from create" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from create" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from create" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from create" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from create" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from create" -l ipv6 -d 'Dual stack: an IPv6 subnet too (given with --subnet, or a /64 of ctnet\'s unique-local /48)'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from create" -l internal -d 'No traffic leaves the network, none enters it'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from create" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from create" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from create" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from create" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from ls" -s f -l filter -d 'Filter: driver=, id=, name=, label=K[=V], scope=, type=custom|builtin, dangling=true' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from ls" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from ls" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from ls" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from ls" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from ls" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from ls" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from ls" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from ls" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from ls" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from ls" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from ls" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from ls" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from inspect" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from inspect" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from inspect" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from inspect" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from inspect" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from inspect" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from inspect" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from inspect" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from inspect" -l explain -d 'Show the Linux objects behind each network instead, read from the kernel'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from inspect" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from inspect" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from inspect" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from inspect" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from inspect" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from rm" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from rm" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from rm" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from rm" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from rm" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from rm" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from rm" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from rm" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from rm" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from rm" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from rm" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from rm" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from prune" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from prune" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from prune" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from prune" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from prune" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from prune" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from prune" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from prune" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from prune" -s f -l force -d 'Do not ask for confirmation (ctnet never asks; accepted for Docker\'s habit)'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from prune" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from prune" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from prune" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from prune" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from connect" -l pid -d 'The sandbox is this process\'s network namespace (an unshare-based container)' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from connect" -l netns -d 'The sandbox is the namespace at this path' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from connect" -l ip -d 'Static IPv4 address' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from connect" -l ip6 -d 'Static IPv6 address (on a network made with --ipv6)' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from connect" -l alias -d 'Extra name for the sandbox on this network' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from connect" -l mac -d 'MAC address (default: 02:42 followed by the IPv4 address)' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from connect" -l ifname -d 'Interface name inside the sandbox (default: eth0, eth1, ...)' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from connect" -s p -l publish -d 'Publish a port: [HOST_IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/PROTO]' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from connect" -l dns -d 'DNS server for the sandbox (repeatable): in its resolv.conf, or where ctnet\'s resolver forwards its queries' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from connect" -l dns-search -d 'DNS search domain for the sandbox (repeatable)' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from connect" -l dns-option -d 'resolv.conf option for the sandbox (repeatable), e.g. ndots:2' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from connect" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from connect" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from connect" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from connect" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from connect" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from connect" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from connect" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from connect" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from connect" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from connect" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from connect" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from connect" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from connect" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from disconnect" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from disconnect" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from disconnect" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from disconnect" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from disconnect" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from disconnect" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from disconnect" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from disconnect" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from disconnect" -s f -l force -d 'Forget the endpoint even if its kernel objects are already gone'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from disconnect" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from disconnect" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from disconnect" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from disconnect" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from disconnect" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from help" -f -a "create" -d 'Create a network'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from help" -f -a "ls" -d 'List networks'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from help" -f -a "inspect" -d 'Show networks as JSON, with Docker\'s field names'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from help" -f -a "rm" -d 'Remove networks (refused while endpoints are attached)'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from help" -f -a "prune" -d 'Remove every network without endpoints'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from help" -f -a "connect" -d 'Same as `ctnet connect`'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from help" -f -a "disconnect" -d 'Same as `ctnet disconnect`'
complete -c ctnet -n "__fish_ctnet_using_subcommand network; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and not __fish_seen_subcommand_from create ls inspect rm help" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and not __fish_seen_subcommand_from create ls inspect rm help" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and not __fish_seen_subcommand_from create ls inspect rm help" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and not __fish_seen_subcommand_from create ls inspect rm help" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and not __fish_seen_subcommand_from create ls inspect rm help" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and not __fish_seen_subcommand_from create ls inspect rm help" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and not __fish_seen_subcommand_from create ls inspect rm help" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and not __fish_seen_subcommand_from create ls inspect rm help" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and not __fish_seen_subcommand_from create ls inspect rm help" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and not __fish_seen_subcommand_from create ls inspect rm help" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and not __fish_seen_subcommand_from create ls inspect rm help" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and not __fish_seen_subcommand_from create ls inspect rm help" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and not __fish_seen_subcommand_from create ls inspect rm help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and not __fish_seen_subcommand_from create ls inspect rm help" -f -a "create" -d 'Create a named network namespace (/run/netns/NAME) with lo up'
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and not __fish_seen_subcommand_from create ls inspect rm help" -f -a "ls" -d 'List sandboxes'
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and not __fish_seen_subcommand_from create ls inspect rm help" -f -a "inspect" -d 'Show sandboxes as JSON'
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and not __fish_seen_subcommand_from create ls inspect rm help" -f -a "rm" -d 'Disconnect a sandbox from every network and remove it'
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and not __fish_seen_subcommand_from create ls inspect rm help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from create" -l dns -d 'DNS server for the sandbox (repeatable): in its resolv.conf, or where ctnet\'s resolver forwards its queries' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from create" -l dns-search -d 'DNS search domain for the sandbox (repeatable)' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from create" -l dns-option -d 'resolv.conf option for the sandbox (repeatable), e.g. ndots:2' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from create" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from create" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from create" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from create" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from create" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from create" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from create" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from create" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from create" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from create" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from create" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from create" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from ls" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from ls" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from ls" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from ls" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from ls" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from ls" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from ls" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from ls" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from ls" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from ls" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from ls" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from ls" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from inspect" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from inspect" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from inspect" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from inspect" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from inspect" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from inspect" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from inspect" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from inspect" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from inspect" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from inspect" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from inspect" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from inspect" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from inspect" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from rm" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from rm" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from rm" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from rm" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from rm" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from rm" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from rm" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from rm" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from rm" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from rm" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from rm" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from rm" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from help" -f -a "create" -d 'Create a named network namespace (/run/netns/NAME) with lo up'
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from help" -f -a "ls" -d 'List sandboxes'
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from help" -f -a "inspect" -d 'Show sandboxes as JSON'
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from help" -f -a "rm" -d 'Disconnect a sandbox from every network and remove it'
complete -c ctnet -n "__fish_ctnet_using_subcommand sandbox; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ctnet -n "__fish_ctnet_using_subcommand connect" -l pid -d 'The sandbox is this process\'s network namespace (an unshare-based container)' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand connect" -l netns -d 'The sandbox is the namespace at this path' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand connect" -l ip -d 'Static IPv4 address' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand connect" -l ip6 -d 'Static IPv6 address (on a network made with --ipv6)' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand connect" -l alias -d 'Extra name for the sandbox on this network' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand connect" -l mac -d 'MAC address (default: 02:42 followed by the IPv4 address)' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand connect" -l ifname -d 'Interface name inside the sandbox (default: eth0, eth1, ...)' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand connect" -s p -l publish -d 'Publish a port: [HOST_IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/PROTO]' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand connect" -l dns -d 'DNS server for the sandbox (repeatable): in its resolv.conf, or where ctnet\'s resolver forwards its queries' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand connect" -l dns-search -d 'DNS search domain for the sandbox (repeatable)' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand connect" -l dns-option -d 'resolv.conf option for the sandbox (repeatable), e.g. ndots:2' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand connect" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand connect" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand connect" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand connect" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand connect" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand connect" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand connect" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand connect" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand connect" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand connect" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand connect" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand connect" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand connect" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand disconnect" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand disconnect" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand disconnect" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand disconnect" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand disconnect" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand disconnect" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand disconnect" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand disconnect" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand disconnect" -s f -l force -d 'Forget the endpoint even if its kernel objects are already gone'
complete -c ctnet -n "__fish_ctnet_using_subcommand disconnect" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand disconnect" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand disconnect" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand disconnect" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand disconnect" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand publish" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand publish" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand publish" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand publish" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand publish" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand publish" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand publish" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand publish" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand publish" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand publish" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand publish" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand publish" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand publish" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand unpublish" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand unpublish" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand unpublish" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand unpublish" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand unpublish" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand unpublish" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand unpublish" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand unpublish" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand unpublish" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand unpublish" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand unpublish" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand unpublish" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand unpublish" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand port" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand port" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand port" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand port" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand port" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand port" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand port" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand port" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand port" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand port" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand port" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand port" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand port" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand gc" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand gc" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand gc" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand gc" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand gc" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand gc" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand gc" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand gc" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand gc" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand gc" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand gc" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand gc" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand gc" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand restore" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand restore" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand restore" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand restore" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand restore" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand restore" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand restore" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand restore" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand restore" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand restore" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand restore" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand restore" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand restore" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand doctor" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand doctor" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand doctor" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand doctor" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand doctor" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand doctor" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand doctor" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand doctor" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand doctor" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand doctor" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand doctor" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand doctor" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand graph" -l lab -d 'Only what the lab of that name made' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand graph" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand graph" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand graph" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand graph" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand graph" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand graph" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand graph" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand graph" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand graph" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand graph" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand graph" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand graph" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand graph" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand impair" -l delay -d 'Delay added to every packet (50ms, 1s, 200us)' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand impair" -l jitter -d 'Variation of the delay (5ms)' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand impair" -l loss -d 'Packets dropped (1%, 0.1%, 100%)' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand impair" -l corrupt -d 'Packets with a bit flipped (0.1%)' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand impair" -l rate -d 'Rate limit (10mbit, 512kbit, 1gbit)' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand impair" -l direction -d 'egress: what leaves the interface (the default); ingress: what reaches it' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand impair" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand impair" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand impair" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand impair" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand impair" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand impair" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand impair" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand impair" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand impair" -l clear -d 'Remove the impairment (of --direction, else of both)'
complete -c ctnet -n "__fish_ctnet_using_subcommand impair" -l down -d 'Take the link down (a flap: the cable pulled)'
complete -c ctnet -n "__fish_ctnet_using_subcommand impair" -l up -d 'Bring the link back up'
complete -c ctnet -n "__fish_ctnet_using_subcommand impair" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand impair" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand impair" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand impair" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand impair" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and not __fish_seen_subcommand_from up down ls inspect help" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and not __fish_seen_subcommand_from up down ls inspect help" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and not __fish_seen_subcommand_from up down ls inspect help" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and not __fish_seen_subcommand_from up down ls inspect help" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and not __fish_seen_subcommand_from up down ls inspect help" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and not __fish_seen_subcommand_from up down ls inspect help" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and not __fish_seen_subcommand_from up down ls inspect help" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and not __fish_seen_subcommand_from up down ls inspect help" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and not __fish_seen_subcommand_from up down ls inspect help" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and not __fish_seen_subcommand_from up down ls inspect help" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and not __fish_seen_subcommand_from up down ls inspect help" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and not __fish_seen_subcommand_from up down ls inspect help" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and not __fish_seen_subcommand_from up down ls inspect help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and not __fish_seen_subcommand_from up down ls inspect help" -f -a "up" -d 'Make the lab in FILE real, or bring a running one in step with an edited FILE (only the difference changes); says what it did'
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and not __fish_seen_subcommand_from up down ls inspect help" -f -a "down" -d 'Remove everything the lab made (and nothing else), by its file or its name'
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and not __fish_seen_subcommand_from up down ls inspect help" -f -a "ls" -d 'List the labs on this host'
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and not __fish_seen_subcommand_from up down ls inspect help" -f -a "inspect" -d 'Show a lab as JSON: its networks, nodes, endpoints and impairments'
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and not __fish_seen_subcommand_from up down ls inspect help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from up" -s f -l file -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from up" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from up" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from up" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from up" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from up" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from up" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from up" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from up" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from up" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from up" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from up" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from up" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from up" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from down" -s f -l file -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from down" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from down" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from down" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from down" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from down" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from down" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from down" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from down" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from down" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from down" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from down" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from down" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from down" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from ls" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from ls" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from ls" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from ls" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from ls" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from ls" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from ls" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from ls" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from ls" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from ls" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from ls" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from ls" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from inspect" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from inspect" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from inspect" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from inspect" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from inspect" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from inspect" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from inspect" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from inspect" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from inspect" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from inspect" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from inspect" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from inspect" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from inspect" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from help" -f -a "up" -d 'Make the lab in FILE real, or bring a running one in step with an edited FILE (only the difference changes); says what it did'
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from help" -f -a "down" -d 'Remove everything the lab made (and nothing else), by its file or its name'
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from help" -f -a "ls" -d 'List the labs on this host'
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from help" -f -a "inspect" -d 'Show a lab as JSON: its networks, nodes, endpoints and impairments'
complete -c ctnet -n "__fish_ctnet_using_subcommand lab; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ctnet -n "__fish_ctnet_using_subcommand why" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand why" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand why" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand why" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand why" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand why" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand why" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand why" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand why" -l live -d 'Send one probe and show what nftables traced of it in ctnet\'s table'
complete -c ctnet -n "__fish_ctnet_using_subcommand why" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand why" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand why" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand why" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand why" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand run" -l name -d 'Sandbox name (default: run-<12 hex characters>)' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand run" -l network -d 'Networks to join, in order (default: bridge); `host` runs in the host\'s namespace, `none` leaves only lo' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand run" -s p -l publish -d 'Publish a port on the first network: [HOST_IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/PROTO]' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand run" -l ip -d 'Static IPv4 address on the first network' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand run" -l dns -d 'DNS server for the sandbox (repeatable): in its resolv.conf, or where ctnet\'s resolver forwards its queries' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand run" -l dns-search -d 'DNS search domain for the sandbox (repeatable)' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand run" -l dns-option -d 'resolv.conf option for the sandbox (repeatable), e.g. ndots:2' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand run" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand run" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand run" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand run" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand run" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand run" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand run" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand run" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand run" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand run" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand run" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand run" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand dns; and not __fish_seen_subcommand_from serve help" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand dns; and not __fish_seen_subcommand_from serve help" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand dns; and not __fish_seen_subcommand_from serve help" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand dns; and not __fish_seen_subcommand_from serve help" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand dns; and not __fish_seen_subcommand_from serve help" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand dns; and not __fish_seen_subcommand_from serve help" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand dns; and not __fish_seen_subcommand_from serve help" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand dns; and not __fish_seen_subcommand_from serve help" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand dns; and not __fish_seen_subcommand_from serve help" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand dns; and not __fish_seen_subcommand_from serve help" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand dns; and not __fish_seen_subcommand_from serve help" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand dns; and not __fish_seen_subcommand_from serve help" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand dns; and not __fish_seen_subcommand_from serve help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand dns; and not __fish_seen_subcommand_from serve help" -f -a "serve" -d 'Answer for sandbox names on each network\'s gateway (UDP port 53) until stopped; meanwhile sandboxes\' resolv.conf points here'
complete -c ctnet -n "__fish_ctnet_using_subcommand dns; and not __fish_seen_subcommand_from serve help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ctnet -n "__fish_ctnet_using_subcommand dns; and __fish_seen_subcommand_from serve" -l upstream -d 'Server for names that are not sandboxes\' (default: the host\'s, from resolv.conf)' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand dns; and __fish_seen_subcommand_from serve" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand dns; and __fish_seen_subcommand_from serve" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand dns; and __fish_seen_subcommand_from serve" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand dns; and __fish_seen_subcommand_from serve" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand dns; and __fish_seen_subcommand_from serve" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand dns; and __fish_seen_subcommand_from serve" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand dns; and __fish_seen_subcommand_from serve" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand dns; and __fish_seen_subcommand_from serve" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand dns; and __fish_seen_subcommand_from serve" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand dns; and __fish_seen_subcommand_from serve" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand dns; and __fish_seen_subcommand_from serve" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand dns; and __fish_seen_subcommand_from serve" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand dns; and __fish_seen_subcommand_from serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand dns; and __fish_seen_subcommand_from help" -f -a "serve" -d 'Answer for sandbox names on each network\'s gateway (UDP port 53) until stopped; meanwhile sandboxes\' resolv.conf points here'
complete -c ctnet -n "__fish_ctnet_using_subcommand dns; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and not __fish_seen_subcommand_from watch rotate-key help" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and not __fish_seen_subcommand_from watch rotate-key help" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and not __fish_seen_subcommand_from watch rotate-key help" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and not __fish_seen_subcommand_from watch rotate-key help" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and not __fish_seen_subcommand_from watch rotate-key help" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and not __fish_seen_subcommand_from watch rotate-key help" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and not __fish_seen_subcommand_from watch rotate-key help" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and not __fish_seen_subcommand_from watch rotate-key help" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and not __fish_seen_subcommand_from watch rotate-key help" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and not __fish_seen_subcommand_from watch rotate-key help" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and not __fish_seen_subcommand_from watch rotate-key help" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and not __fish_seen_subcommand_from watch rotate-key help" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and not __fish_seen_subcommand_from watch rotate-key help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and not __fish_seen_subcommand_from watch rotate-key help" -f -a "watch" -d 'Follow the cluster store and keep this host\'s VXLAN entries and names up to date, until stopped'
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and not __fish_seen_subcommand_from watch rotate-key help" -f -a "rotate-key" -d 'Give an encrypted overlay a new IPsec key, without dropping traffic'
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and not __fish_seen_subcommand_from watch rotate-key help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and __fish_seen_subcommand_from watch" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and __fish_seen_subcommand_from watch" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and __fish_seen_subcommand_from watch" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and __fish_seen_subcommand_from watch" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and __fish_seen_subcommand_from watch" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and __fish_seen_subcommand_from watch" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and __fish_seen_subcommand_from watch" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and __fish_seen_subcommand_from watch" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and __fish_seen_subcommand_from watch" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and __fish_seen_subcommand_from watch" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and __fish_seen_subcommand_from watch" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and __fish_seen_subcommand_from watch" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and __fish_seen_subcommand_from watch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and __fish_seen_subcommand_from rotate-key" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and __fish_seen_subcommand_from rotate-key" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and __fish_seen_subcommand_from rotate-key" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and __fish_seen_subcommand_from rotate-key" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and __fish_seen_subcommand_from rotate-key" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and __fish_seen_subcommand_from rotate-key" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and __fish_seen_subcommand_from rotate-key" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and __fish_seen_subcommand_from rotate-key" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and __fish_seen_subcommand_from rotate-key" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and __fish_seen_subcommand_from rotate-key" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and __fish_seen_subcommand_from rotate-key" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and __fish_seen_subcommand_from rotate-key" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and __fish_seen_subcommand_from rotate-key" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and __fish_seen_subcommand_from help" -f -a "watch" -d 'Follow the cluster store and keep this host\'s VXLAN entries and names up to date, until stopped'
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and __fish_seen_subcommand_from help" -f -a "rotate-key" -d 'Give an encrypted overlay a new IPsec key, without dropping traffic'
complete -c ctnet -n "__fish_ctnet_using_subcommand overlay; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ctnet -n "__fish_ctnet_using_subcommand cni; and not __fish_seen_subcommand_from config help" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand cni; and not __fish_seen_subcommand_from config help" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand cni; and not __fish_seen_subcommand_from config help" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand cni; and not __fish_seen_subcommand_from config help" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand cni; and not __fish_seen_subcommand_from config help" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand cni; and not __fish_seen_subcommand_from config help" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand cni; and not __fish_seen_subcommand_from config help" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand cni; and not __fish_seen_subcommand_from config help" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand cni; and not __fish_seen_subcommand_from config help" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand cni; and not __fish_seen_subcommand_from config help" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand cni; and not __fish_seen_subcommand_from config help" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand cni; and not __fish_seen_subcommand_from config help" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand cni; and not __fish_seen_subcommand_from config help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand cni; and not __fish_seen_subcommand_from config help" -f -a "config" -d 'Print a CNI configuration list for a network, or write it where runtimes look'
complete -c ctnet -n "__fish_ctnet_using_subcommand cni; and not __fish_seen_subcommand_from config help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ctnet -n "__fish_ctnet_using_subcommand cni; and __fish_seen_subcommand_from config" -l write -d 'Write it into DIR as ctnet-NETWORK.conflist (default DIR: /etc/cni/net.d)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand cni; and __fish_seen_subcommand_from config" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand cni; and __fish_seen_subcommand_from config" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand cni; and __fish_seen_subcommand_from config" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand cni; and __fish_seen_subcommand_from config" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand cni; and __fish_seen_subcommand_from config" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand cni; and __fish_seen_subcommand_from config" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand cni; and __fish_seen_subcommand_from config" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand cni; and __fish_seen_subcommand_from config" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand cni; and __fish_seen_subcommand_from config" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand cni; and __fish_seen_subcommand_from config" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand cni; and __fish_seen_subcommand_from config" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand cni; and __fish_seen_subcommand_from config" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand cni; and __fish_seen_subcommand_from config" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand cni; and __fish_seen_subcommand_from help" -f -a "config" -d 'Print a CNI configuration list for a network, or write it where runtimes look'
complete -c ctnet -n "__fish_ctnet_using_subcommand cni; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and not __fish_seen_subcommand_from create ls inspect rm help" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and not __fish_seen_subcommand_from create ls inspect rm help" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and not __fish_seen_subcommand_from create ls inspect rm help" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and not __fish_seen_subcommand_from create ls inspect rm help" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and not __fish_seen_subcommand_from create ls inspect rm help" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and not __fish_seen_subcommand_from create ls inspect rm help" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and not __fish_seen_subcommand_from create ls inspect rm help" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and not __fish_seen_subcommand_from create ls inspect rm help" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and not __fish_seen_subcommand_from create ls inspect rm help" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and not __fish_seen_subcommand_from create ls inspect rm help" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and not __fish_seen_subcommand_from create ls inspect rm help" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and not __fish_seen_subcommand_from create ls inspect rm help" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and not __fish_seen_subcommand_from create ls inspect rm help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and not __fish_seen_subcommand_from create ls inspect rm help" -f -a "create" -d 'Create a service on a network: its tasks are the sandboxes connected with --alias NAME'
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and not __fish_seen_subcommand_from create ls inspect rm help" -f -a "ls" -d 'List services'
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and not __fish_seen_subcommand_from create ls inspect rm help" -f -a "inspect" -d 'Show services as JSON'
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and not __fish_seen_subcommand_from create ls inspect rm help" -f -a "rm" -d 'Remove services (their tasks stay, as sandboxes)'
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and not __fish_seen_subcommand_from create ls inspect rm help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from create" -l network -d 'The network whose sandboxes with the alias NAME are the tasks (a user-defined bridge network, or a cluster overlay: then every host of it publishes and balances, the routing mesh)' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from create" -l endpoint-mode -d 'vip: a virtual IP the kernel balances over the tasks; dnsrr: the tasks\' addresses in turn' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from create" -s p -l publish -d 'Publish a port on every host address, balanced over the tasks: PUBLISHED:TARGET[/PROTO]' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from create" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from create" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from create" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from create" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from create" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from create" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from create" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from create" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from create" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from create" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from create" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from create" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from ls" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from ls" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from ls" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from ls" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from ls" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from ls" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from ls" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from ls" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from ls" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from ls" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from ls" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from ls" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from inspect" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from inspect" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from inspect" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from inspect" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from inspect" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from inspect" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from inspect" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from inspect" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from inspect" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from inspect" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from inspect" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from inspect" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from inspect" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from rm" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from rm" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from rm" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from rm" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from rm" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from rm" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from rm" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from rm" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from rm" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from rm" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from rm" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from rm" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from help" -f -a "create" -d 'Create a service on a network: its tasks are the sandboxes connected with --alias NAME'
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from help" -f -a "ls" -d 'List services'
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from help" -f -a "inspect" -d 'Show services as JSON'
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from help" -f -a "rm" -d 'Remove services (their tasks stay, as sandboxes)'
complete -c ctnet -n "__fish_ctnet_using_subcommand service; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ctnet -n "__fish_ctnet_using_subcommand completions" -l state-dir -d 'Where state.json and its lock live' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand completions" -l format -d 'Output of ls, port and sandbox ls (inspect always prints JSON); dot or mermaid for graph' -r -f -a "table\t''
json\t''
dot\t'Graphviz, for `graph` only'
mermaid\t'Mermaid, for `graph` only'"
complete -c ctnet -n "__fish_ctnet_using_subcommand completions" -l store -d 'The etcd cluster store of overlay networks (cluster mode): etcd://HOST:PORT[,HOST:PORT...], or https://HOST:PORT[,...] for TLS' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand completions" -l store-cacert -d 'The CA that signed the store\'s certificate (PEM), for an https:// store' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand completions" -l store-cert -d 'This host\'s client certificate for the store (PEM), with --store-key' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand completions" -l store-key -d 'The key of --store-cert (PEM)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand completions" -l store-user -d 'The etcd user to authenticate as; the password is read from CTNET_STORE_PASSWORD' -r
complete -c ctnet -n "__fish_ctnet_using_subcommand completions" -l config -d 'ctnet\'s configuration file (default address pools, the default bridge\'s bip and mtu)' -r -F
complete -c ctnet -n "__fish_ctnet_using_subcommand completions" -s q -l quiet -d 'Print only names or IDs'
complete -c ctnet -n "__fish_ctnet_using_subcommand completions" -s v -l verbose -d 'Log each kernel operation to stderr, as the equivalent ip/nft command'
complete -c ctnet -n "__fish_ctnet_using_subcommand completions" -l dry-run -d 'Print what would be done, as ip/nft commands, and change nothing'
complete -c ctnet -n "__fish_ctnet_using_subcommand completions" -l insecure-store -d 'Allow an encrypted overlay\'s keys to cross the network to a plain http store'
complete -c ctnet -n "__fish_ctnet_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and not __fish_seen_subcommand_from network sandbox connect disconnect publish unpublish port gc restore doctor graph impair lab why run dns overlay cni service completions help" -f -a "network" -d 'Manage networks'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and not __fish_seen_subcommand_from network sandbox connect disconnect publish unpublish port gc restore doctor graph impair lab why run dns overlay cni service completions help" -f -a "sandbox" -d 'Manage sandboxes (network namespaces)'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and not __fish_seen_subcommand_from network sandbox connect disconnect publish unpublish port gc restore doctor graph impair lab why run dns overlay cni service completions help" -f -a "connect" -d 'Connect a sandbox to a network'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and not __fish_seen_subcommand_from network sandbox connect disconnect publish unpublish port gc restore doctor graph impair lab why run dns overlay cni service completions help" -f -a "disconnect" -d 'Disconnect a sandbox from a network'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and not __fish_seen_subcommand_from network sandbox connect disconnect publish unpublish port gc restore doctor graph impair lab why run dns overlay cni service completions help" -f -a "publish" -d 'Publish ports of a connected sandbox on the host'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and not __fish_seen_subcommand_from network sandbox connect disconnect publish unpublish port gc restore doctor graph impair lab why run dns overlay cni service completions help" -f -a "unpublish" -d 'Remove published ports'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and not __fish_seen_subcommand_from network sandbox connect disconnect publish unpublish port gc restore doctor graph impair lab why run dns overlay cni service completions help" -f -a "port" -d 'List a sandbox\'s published ports, like `docker port`'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and not __fish_seen_subcommand_from network sandbox connect disconnect publish unpublish port gc restore doctor graph impair lab why run dns overlay cni service completions help" -f -a "gc" -d 'Remove what belongs to dead sandboxes and kernel objects the state does not know'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and not __fish_seen_subcommand_from network sandbox connect disconnect publish unpublish port gc restore doctor graph impair lab why run dns overlay cni service completions help" -f -a "restore" -d 'Re-create the kernel side of the state (after a reboot); safe to run twice'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and not __fish_seen_subcommand_from network sandbox connect disconnect publish unpublish port gc restore doctor graph impair lab why run dns overlay cni service completions help" -f -a "doctor" -d 'Check what this host has and lacks for ctnet (exit 1 if something needed is missing)'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and not __fish_seen_subcommand_from network sandbox connect disconnect publish unpublish port gc restore doctor graph impair lab why run dns overlay cni service completions help" -f -a "graph" -d 'Draw the host\'s networks, sandboxes, addresses and ports (--format dot|mermaid)'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and not __fish_seen_subcommand_from network sandbox connect disconnect publish unpublish port gc restore doctor graph impair lab why run dns overlay cni service completions help" -f -a "impair" -d 'Impair an endpoint\'s link: delay, jitter, loss, corruption, rate, or down and up'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and not __fish_seen_subcommand_from network sandbox connect disconnect publish unpublish port gc restore doctor graph impair lab why run dns overlay cni service completions help" -f -a "lab" -d 'Labs kept as files: networks, nodes and point-to-point links in YAML'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and not __fish_seen_subcommand_from network sandbox connect disconnect publish unpublish port gc restore doctor graph impair lab why run dns overlay cni service completions help" -f -a "why" -d 'Why FROM can or cannot reach TO[:PORT[/PROTO]]: the rule that decides, in words and as nft (FROM and TO: a sandbox, an address, host or outside)'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and not __fish_seen_subcommand_from network sandbox connect disconnect publish unpublish port gc restore doctor graph impair lab why run dns overlay cni service completions help" -f -a "run" -d 'Run a command in a new sandbox, connected and with ports published; remove it all when the command ends, and exit with its status'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and not __fish_seen_subcommand_from network sandbox connect disconnect publish unpublish port gc restore doctor graph impair lab why run dns overlay cni service completions help" -f -a "dns" -d 'Name resolution for sandboxes'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and not __fish_seen_subcommand_from network sandbox connect disconnect publish unpublish port gc restore doctor graph impair lab why run dns overlay cni service completions help" -f -a "overlay" -d 'Cluster-mode overlay networks (with --store)'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and not __fish_seen_subcommand_from network sandbox connect disconnect publish unpublish port gc restore doctor graph impair lab why run dns overlay cni service completions help" -f -a "cni" -d 'ctnet as a CNI plugin for container runtimes (podman, containerd)'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and not __fish_seen_subcommand_from network sandbox connect disconnect publish unpublish port gc restore doctor graph impair lab why run dns overlay cni service completions help" -f -a "service" -d 'Manage services: names whose tasks are the sandboxes carrying them as an alias'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and not __fish_seen_subcommand_from network sandbox connect disconnect publish unpublish port gc restore doctor graph impair lab why run dns overlay cni service completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and not __fish_seen_subcommand_from network sandbox connect disconnect publish unpublish port gc restore doctor graph impair lab why run dns overlay cni service completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and __fish_seen_subcommand_from network" -f -a "create" -d 'Create a network'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and __fish_seen_subcommand_from network" -f -a "ls" -d 'List networks'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and __fish_seen_subcommand_from network" -f -a "inspect" -d 'Show networks as JSON, with Docker\'s field names'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and __fish_seen_subcommand_from network" -f -a "rm" -d 'Remove networks (refused while endpoints are attached)'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and __fish_seen_subcommand_from network" -f -a "prune" -d 'Remove every network without endpoints'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and __fish_seen_subcommand_from network" -f -a "connect" -d 'Same as `ctnet connect`'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and __fish_seen_subcommand_from network" -f -a "disconnect" -d 'Same as `ctnet disconnect`'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and __fish_seen_subcommand_from sandbox" -f -a "create" -d 'Create a named network namespace (/run/netns/NAME) with lo up'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and __fish_seen_subcommand_from sandbox" -f -a "ls" -d 'List sandboxes'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and __fish_seen_subcommand_from sandbox" -f -a "inspect" -d 'Show sandboxes as JSON'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and __fish_seen_subcommand_from sandbox" -f -a "rm" -d 'Disconnect a sandbox from every network and remove it'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and __fish_seen_subcommand_from lab" -f -a "up" -d 'Make the lab in FILE real, or bring a running one in step with an edited FILE (only the difference changes); says what it did'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and __fish_seen_subcommand_from lab" -f -a "down" -d 'Remove everything the lab made (and nothing else), by its file or its name'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and __fish_seen_subcommand_from lab" -f -a "ls" -d 'List the labs on this host'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and __fish_seen_subcommand_from lab" -f -a "inspect" -d 'Show a lab as JSON: its networks, nodes, endpoints and impairments'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and __fish_seen_subcommand_from dns" -f -a "serve" -d 'Answer for sandbox names on each network\'s gateway (UDP port 53) until stopped; meanwhile sandboxes\' resolv.conf points here'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and __fish_seen_subcommand_from overlay" -f -a "watch" -d 'Follow the cluster store and keep this host\'s VXLAN entries and names up to date, until stopped'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and __fish_seen_subcommand_from overlay" -f -a "rotate-key" -d 'Give an encrypted overlay a new IPsec key, without dropping traffic'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and __fish_seen_subcommand_from cni" -f -a "config" -d 'Print a CNI configuration list for a network, or write it where runtimes look'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and __fish_seen_subcommand_from service" -f -a "create" -d 'Create a service on a network: its tasks are the sandboxes connected with --alias NAME'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and __fish_seen_subcommand_from service" -f -a "ls" -d 'List services'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and __fish_seen_subcommand_from service" -f -a "inspect" -d 'Show services as JSON'
complete -c ctnet -n "__fish_ctnet_using_subcommand help; and __fish_seen_subcommand_from service" -f -a "rm" -d 'Remove services (their tasks stay, as sandboxes)'
