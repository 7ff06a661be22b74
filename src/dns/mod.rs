//! Network-scoped names: what each sandbox's `hosts` and `resolv.conf` say (`names`), the
//! files themselves (`etcfiles`), and the embedded resolver's answers (`resolver`; the
//! `ctnet dns serve` command runs it).

pub mod etcfiles;
pub mod hostsfile;
pub mod names;
pub mod resolver;
