//! A `hosts` file that many readers share and that changes line by line, in place.
//!
//! Readers hold the file open or bind-mounted (`ip netns exec`, `ctnet run`), so it is
//! never replaced once made: a rename would leave them on the old copy. Changing it in
//! place must still never show a reader a torn line, which would resolve a name to a
//! wrong address. So every name line sits in a slot of a fixed size (32, 64, 128... bytes,
//! padded with blanks after the address) and a slot only ever changes under a '#':
//!
//! - adding: the line is written with '#' for its first byte, then that byte is written
//!   alone (a single byte cannot be torn); a reader that saw the new first byte reads
//!   bytes written before it;
//! - removing: '#' goes over the first byte, and nothing else changes, so a reader that
//!   still saw the old first byte reads the old line whole;
//! - a free slot (a line under '#' in a slot's shape) is reused before the file grows, so
//!   the file stays as long as the most lines it ever held of each size;
//! - a slot starts at a multiple of its size, so it never straddles the 1 or 4 KiB blocks
//!   in which readers read (musl, glibc's stdio): no reader can take a slot's start
//!   before a change and its end after it.
//!
//! A reader sees each line either whole or as a comment. A change costs one read of the
//! file and a few writes, however many other lines it has.

use std::collections::{BTreeMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::Path;

use anyhow::{Context, Result};

/// The header line that tells a file laid out in slots from one an older ctnet wrote (whose
/// lines `edit` would neither find nor free): such a file is written anew.
pub const MARK: &str = "# Changed in place, line by line: a line under '#' is a free slot.\n";

/// Whether the file was laid out in slots (its mark within its first two lines).
fn in_slots(bytes: &[u8]) -> bool {
    let head = lines(bytes).take(2).map(|(_, line)| line);
    head.into_iter().any(|line| line == MARK.as_bytes())
}

/// The smallest slot; a line of an IPv4 address and a short name fits.
const MIN_SLOT: usize = 32;

/// A line as `names` makes it: `ADDRESS\tNAME ALIAS...`, without the newline.
pub type Line = String;

/// The slot size for `line`: room for at least one blank after the address and the newline.
fn slot_size(line: &str) -> usize {
    (line.len() + 2).next_power_of_two().max(MIN_SLOT)
}

/// `line` laid out in its slot: the address, blanks, a tab, the names, a newline.
fn render(line: &str) -> Vec<u8> {
    let size = slot_size(line);
    let (address, names) = line.split_once('\t').unwrap_or((line, ""));
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(address.as_bytes());
    out.resize(size - names.len() - 2, b' ');
    out.push(b'\t');
    out.extend_from_slice(names.as_bytes());
    out.push(b'\n');
    out
}

/// What comes before a slot of `size` appended at `end` so that it starts at a multiple of
/// its size: nothing, an empty line, or a comment of blanks (never taken for a free slot).
fn filler(end: usize, size: usize) -> Vec<u8> {
    match (size - end % size) % size {
        0 => Vec::new(),
        1 => b"\n".to_vec(),
        n => {
            let mut line = vec![b' '; n];
            line[0] = b'#';
            line[n - 1] = b'\n';
            line
        }
    }
}

/// What one line of the file is.
#[derive(Debug, PartialEq)]
enum Kind<'a> {
    /// A name line in a slot: its address and its names.
    Slot(&'a [u8], &'a [u8]),
    /// A free slot of this size (a freed line, or one a crash left half written).
    Free(usize),
    /// Anything else: the header, localhost, fillers, a partial line: never touched.
    Other,
}

/// The address and names of a line in a slot's shape (`ADDRESS BLANKS\tNAMES`).
fn slot_parts(body: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = body.iter().position(|&b| b == b' ' || b == b'\t')?;
    let address_like = |b: &u8| b.is_ascii_hexdigit() || *b == b':' || *b == b'.';
    if end == 0 || body[end] != b' ' || !body[..end].iter().all(address_like) {
        return None;
    }
    let tab = body[end..].iter().position(|&b| b == b'\t')?;
    Some((&body[..end], &body[end + tab + 1..]))
}

/// What the line at `offset` is (`line` ends with its newline).
fn kind(offset: usize, line: &[u8]) -> Kind<'_> {
    let size = line.len();
    let body = &line[..size - 1];
    let slot_shaped = size >= MIN_SLOT && size.is_power_of_two() && offset.is_multiple_of(size);
    match body.split_first() {
        Some((b'#', rest)) if slot_shaped && slot_parts(rest).is_some() => Kind::Free(size),
        Some(_) if slot_shaped => match slot_parts(body) {
            Some((address, names)) => Kind::Slot(address, names),
            None => Kind::Other,
        },
        _ => Kind::Other,
    }
}

/// Whether a slot's address and names are `line`'s.
fn holds(address: &[u8], names: &[u8], line: &str) -> bool {
    let line = line.as_bytes();
    line.len() == address.len() + 1 + names.len()
        && line.starts_with(address)
        && line[address.len()] == b'\t'
        && line.ends_with(names)
}

/// The address of a line as `names` makes it.
fn address_of(line: &str) -> &[u8] {
    line.split('\t').next().unwrap_or(line).as_bytes()
}

/// The file's lines with their offsets; a last line without a newline is left out.
fn lines(bytes: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let mut start = 0;
    memchr::memchr_iter(b'\n', bytes).map(move |newline| {
        let line = (start, &bytes[start..=newline]);
        start = newline + 1;
        line
    })
}

/// The lines `change` looks at, in file order: with `concerned`, only those under '#' (free
/// slots, and the header) and those at a concerned address, found by searching for them
/// rather than by walking a file of thousands of lines; else every line.
fn lines_that_matter<'a>(bytes: &'a [u8], concerned: Option<&[&[u8]]>) -> Vec<(usize, &'a [u8])> {
    let Some(addresses) = concerned else {
        return lines(bytes).collect();
    };
    let at_line_start = |prefix: &[u8]| {
        let needle = [b"\n", prefix].concat();
        let first = bytes.starts_with(prefix).then_some(0);
        let rest = memchr::memmem::find_iter(bytes, &needle).map(|newline| newline + 1);
        first.into_iter().chain(rest).collect::<Vec<usize>>()
    };
    let mut starts = at_line_start(b"#");
    for address in addresses {
        starts.extend(at_line_start(&[address, &b" "[..]].concat()));
    }
    starts.sort_unstable();
    starts.dedup();
    (starts.into_iter())
        .filter_map(|start| {
            let end = start + memchr::memchr(b'\n', &bytes[start..])?;
            Some((start, &bytes[start..=end]))
        })
        .collect()
}

/// The whole text of a file: `header`, then `lines` in slots.
fn layout(header: &str, lines: &[Line]) -> Vec<u8> {
    let mut text = header.as_bytes().to_vec();
    for line in lines {
        let slot = render(line);
        text.extend(filler(text.len(), slot.len()));
        text.extend(slot);
    }
    text
}

/// Makes a new file at `path` (replacing what is there by a rename: for a file that nobody
/// reads yet, or that readers must leave): `header`, then `lines` in slots.
pub fn create(path: &Path, header: &str, lines: &[Line]) -> Result<()> {
    let text = layout(header, lines);
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("hosts");
    let temp = dir.join(format!(".{name}.{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        let _ = std::fs::remove_file(&temp);
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(&temp)?;
        file.write_all_at(&text, 0)?;
        std::fs::rename(&temp, path)
    };
    write().with_context(|| format!("cannot write {}", path.display()))
}

/// Takes `remove` out of the file at `path` and puts `add` in (lines already there are not
/// added twice), in place. A line at the address of an added one goes too: an address is
/// one member's, and a line left by an interrupted command must not outlive it. A file
/// that is not there, or not laid out in slots, is left so: `Ok(false)`, for the caller to
/// write it whole. The cost is one pass over the file's bytes, whatever its lines.
pub fn edit(path: &Path, remove: &[Line], add: &[Line]) -> Result<bool> {
    let Some(file) = open(path)? else {
        return Ok(false);
    };
    let bytes = read(&file, path)?;
    if !in_slots(&bytes) {
        return Ok(false);
    }
    let unwanted = |address: &[u8], names: &[u8]| {
        remove.iter().any(|l| holds(address, names, l))
            || (add.iter().any(|l| address_of(l) == address)
                && !add.iter().any(|l| holds(address, names, l)))
    };
    // Only lines at the addresses concerned need a closer look.
    let concerned: Vec<&[u8]> = remove.iter().chain(add).map(|l| address_of(l)).collect();
    change(&file, path, &bytes, Some(&concerned), unwanted, add)?;
    Ok(true)
}

/// Brings the file at `path` to hold exactly `lines` (besides its header), in place where
/// it is a file of ctnet's already, else made new with `header`. An older ctnet's file (not
/// in slots) is written over in place once, so that readers that hold it keep it.
pub fn sync(path: &Path, header: &str, lines: &[Line]) -> Result<()> {
    let regular = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file());
    let file = match regular {
        true => open(path)?,
        false => None,
    };
    let Some(file) = file else {
        return create(path, header, lines);
    };
    let bytes = read(&file, path)?;
    if !in_slots(&bytes) {
        let text = layout(header, lines);
        return (file.write_all_at(&text, 0))
            .and_then(|()| file.set_len(text.len() as u64))
            .with_context(|| format!("cannot write {}", path.display()));
    }
    let wanted: HashSet<&[u8]> = lines.iter().map(|l| l.as_bytes()).collect();
    let unwanted = |address: &[u8], names: &[u8]| {
        let mut line = address.to_vec();
        line.push(b'\t');
        line.extend_from_slice(names);
        !wanted.contains(line.as_slice())
    };
    change(&file, path, &bytes, None, unwanted, lines)
}

fn open(path: &Path) -> Result<Option<File>> {
    // Never through a link someone planted in its place: a link is only followed by readers.
    match OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(path)
    {
        Ok(file) => Ok(Some(file)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot open {}", path.display())),
    }
}

fn read(mut file: &File, path: &Path) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(bytes)
}

/// Frees the slots whose line `unwanted` says, then adds `add`'s lines that are missing.
/// With `concerned`, only lines at those addresses can be unwanted or already there.
fn change(
    file: &File,
    path: &Path,
    bytes: &[u8],
    concerned: Option<&[&[u8]]>,
    unwanted: impl Fn(&[u8], &[u8]) -> bool,
    add: &[Line],
) -> Result<()> {
    let failed = |e| anyhow::Error::from(e).context(format!("cannot write {}", path.display()));
    // Free slots by size, lowest offsets last (popped first: the front fills first).
    let mut free: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut present = vec![false; add.len()];
    for (offset, line) in lines_that_matter(bytes, concerned) {
        match kind(offset, line) {
            Kind::Free(size) => free.entry(size).or_default().push(offset),
            Kind::Slot(address, names) if unwanted(address, names) => {
                // Its first byte alone: the rest stays as it was until the slot is reused.
                file.write_all_at(b"#", offset as u64).map_err(failed)?;
                free.entry(line.len()).or_default().push(offset);
            }
            Kind::Slot(address, names) => {
                for (i, wanted) in add.iter().enumerate() {
                    present[i] |= holds(address, names, wanted);
                }
            }
            Kind::Other => {}
        }
    }
    for offsets in free.values_mut() {
        offsets.sort_unstable_by(|a, b| b.cmp(a));
    }
    let mut end = bytes.len();
    if !bytes.is_empty() && !bytes.ends_with(b"\n") {
        // A torn last line (a crash): closed, so that no slot continues it.
        file.write_all_at(b"\n", end as u64).map_err(failed)?;
        end += 1;
    }
    let mut added: HashSet<&str> = HashSet::new();
    for (line, _) in add.iter().zip(present).filter(|(_, present)| !present) {
        if !added.insert(line) {
            continue;
        }
        let mut slot = render(line);
        let first = slot[0];
        let offset = match free.get_mut(&slot.len()).and_then(Vec::pop) {
            Some(offset) => offset,
            None => {
                let gap = filler(end, slot.len());
                file.write_all_at(&gap, end as u64).map_err(failed)?;
                end += gap.len() + slot.len();
                end - slot.len()
            }
        };
        // Hidden under '#' until whole; then its first byte, alone, shows it.
        slot[0] = b'#';
        file.write_all_at(&slot, offset as u64).map_err(failed)?;
        file.write_all_at(&[first], offset as u64).map_err(failed)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap()
    }

    /// The name lines a reader (glibc) would take from the file.
    fn live(path: &Path) -> Vec<String> {
        read(path)
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    }

    #[test]
    fn slots_are_padded_after_the_address_and_read_back_as_their_line() {
        let slot = render("10.1.0.2\tweb www");
        assert_eq!(slot.len(), 32);
        assert!(slot.starts_with(b"10.1.0.2 "));
        assert!(slot.ends_with(b" \tweb www\n"));
        assert_eq!(kind(0, &slot), Kind::Slot(b"10.1.0.2", b"web www"));
        // Freed: the same bytes under '#'; misaligned, it is nobody's slot.
        let mut freed = slot.clone();
        freed[0] = b'#';
        assert_eq!(kind(64, &freed), Kind::Free(32));
        assert_eq!(kind(16, &slot), Kind::Other);
        assert!(holds(b"10.1.0.2", b"web www", "10.1.0.2\tweb www"));
        assert!(!holds(b"10.1.0.2", b"web", "10.1.0.2\tweb www"));
        assert_eq!(kind(0, b"127.0.0.1\tlocalhost\n"), Kind::Other);
        assert_eq!(
            kind(0, b"# Written by ctnet: the names on it\n"),
            Kind::Other
        );
        assert_eq!(kind(32, &filler(1, 32)), Kind::Other);
        assert_eq!(filler(64, 32), b"");
        assert_eq!(filler(63, 32), b"\n");
        assert_eq!(filler(40, 32).len(), 24);
        let long = format!("fd00::1\t{}", "n".repeat(40));
        assert_eq!(render(&long).len(), 64);
    }

    #[test]
    fn the_lines_found_by_search_are_those_a_walk_would_look_at() {
        let lines_of: Vec<Line> = (2..40).map(|i| format!("10.1.0.{i}\tn{i} a{i}")).collect();
        let mut bytes = layout("# header\n127.0.0.1\tlocalhost\n", &lines_of);
        // Free a few slots, as an edit does (their first byte under '#').
        for (offset, line) in lines(&bytes.clone()) {
            if line.starts_with(b"10.1.0.1") && line.len() >= MIN_SLOT {
                bytes[offset] = b'#';
            }
        }
        // A torn last line is no line.
        bytes.extend_from_slice(b"10.1.0.3 ");
        for concerned in [
            vec![&b"10.1.0.3"[..]],
            vec![b"10.1.0.1", b"10.1.0.25"],
            vec![],
        ] {
            let walked: Vec<(usize, &[u8])> = lines(&bytes)
                .filter(|(_, line)| {
                    line.first() == Some(&b'#')
                        || concerned
                            .iter()
                            .any(|a| line.starts_with(a) && line.get(a.len()) == Some(&b' '))
                })
                .collect();
            assert_eq!(lines_that_matter(&bytes, Some(&concerned)), walked);
        }
        assert_eq!(
            lines_that_matter(&bytes, None),
            lines(&bytes).collect::<Vec<_>>()
        );
    }

    #[test]
    fn edits_reuse_free_slots_and_never_duplicate_a_line() {
        let dir = std::env::temp_dir().join(format!("ctnet-hostsfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("hosts");
        let header = format!("# header\n{MARK}127.0.0.1\tlocalhost\n");
        let header = header.as_str();
        let line = |i: u32| format!("10.1.0.{i}\tn{i}");
        create(&path, header, &[line(2), line(3)]).unwrap();
        let size = read(&path).len();
        // n4 takes the slot n2 leaves: the file does not grow.
        assert!(edit(&path, &[line(2)], &[line(3), line(4)]).unwrap());
        assert_eq!(
            live(&path),
            ["127.0.0.1 localhost", "10.1.0.4 n4", "10.1.0.3 n3"]
        );
        assert_eq!(read(&path).len(), size);
        edit(&path, &[line(4)], &[]).unwrap();
        assert!(!live(&path).iter().any(|l| l.contains("n4")));
        assert!(
            read(&path).contains("#0.1.0.4"),
            "freed: only its first byte changes"
        );
        edit(&path, &[], &[line(5)]).unwrap();
        assert_eq!(read(&path).len(), size);
        assert_eq!(live(&path)[1], "10.1.0.5 n5");
        edit(&path, &[], &[line(4)]).unwrap();
        assert_eq!(read(&path).len(), size + 32);
        sync(&path, header, &[line(4), line(6)]).unwrap();
        assert_eq!(
            live(&path),
            ["127.0.0.1 localhost", "10.1.0.6 n6", "10.1.0.4 n4"]
        );
        assert_eq!(read(&path).len(), size + 32);
        assert!(read(&path).starts_with(header));
        // A torn last line (a crash mid-write) is closed, not continued.
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend_from_slice(b"#0.1.0.9");
        std::fs::write(&path, &bytes).unwrap();
        edit(&path, &[], &[line(7)]).unwrap();
        assert!(live(&path).contains(&"10.1.0.7 n7".to_string()));
        assert!(!edit(&dir.join("missing"), &[], &[line(1)]).unwrap());
        // A line left at an address that is added again (an interrupted command) goes.
        edit(&path, &[], &["10.1.0.4\tstale".to_string()]).unwrap();
        edit(&path, &[], &[line(4)]).unwrap();
        assert!(!live(&path).iter().any(|l| l.contains("stale")));
        // Every slot starts at a multiple of its size.
        let text = std::fs::read(&path).unwrap();
        let name_lines = lines(&text).filter(|(_, l)| slot_parts(&l[..l.len() - 1]).is_some());
        for (offset, line) in name_lines {
            assert!(
                line.len().is_power_of_two() && offset % line.len() == 0,
                "at {offset}"
            );
        }
        // An older ctnet's file (no slots): left for the caller to write whole.
        std::fs::write(&path, "127.0.0.1\tlocalhost\n10.1.0.2\tn2\n").unwrap();
        assert!(!edit(&path, &[line(2)], &[]).unwrap());
        sync(&path, header, &[line(3)]).unwrap();
        assert_eq!(live(&path), ["127.0.0.1 localhost", "10.1.0.3 n3"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
