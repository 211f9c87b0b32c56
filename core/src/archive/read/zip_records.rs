//! The fixed records of a zip file (PKWARE APPNOTE 6.3), parsed from
//! bytes already collected. In: a local file header, a central directory
//! header or a data descriptor, whole. Out: its fields, the ZIP64 extra
//! field applied (sizes and offset past 4 GiB), the entry's time from the
//! Unix extra field or its DOS date, and what the external attributes say
//! the entry is (a Unix symlink, device or FIFO is refused).

use super::error::ReadError;

pub const LOCAL: u32 = 0x0403_4b50;
pub const CENTRAL: u32 = 0x0201_4b50;
pub const DESCRIPTOR: u32 = 0x0807_4b50;
pub const ZIP64_END: u32 = 0x0606_4b50;
pub const ZIP64_LOCATOR: u32 = 0x0706_4b50;
pub const END: u32 = 0x0605_4b50;

pub const LOCAL_FIXED: usize = 30;
pub const CENTRAL_FIXED: usize = 46;
pub const END_FIXED: usize = 22;

/// Flag bit 0: encrypted; bit 3: sizes and CRC follow the data.
pub const FLAG_ENCRYPTED: u16 = 1;
pub const FLAG_DESCRIPTOR: u16 = 1 << 3;

pub fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

pub fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

pub fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(x)
}

pub fn corrupt(reason: impl std::fmt::Display) -> ReadError {
    ReadError::Corrupt {
        format: "zip",
        reason: reason.to_string(),
    }
}

/// What a local header or a central directory record says of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryRecord {
    pub name: Vec<u8>,
    pub flags: u16,
    pub method: u16,
    pub crc: u32,
    pub compressed: u64,
    pub size: u64,
    /// Seconds since the Unix epoch.
    pub mtime: u64,
    /// The sizes came from a ZIP64 extra field (so a data descriptor
    /// holds 8-byte sizes).
    pub zip64: bool,
}

/// The ZIP64 extra field (id 1): the 8-byte values of the fields whose
/// 4-byte value is all ones, in order: size, compressed size, offset.
fn zip64_values(extra: &[u8], wanted: usize) -> Option<Vec<u64>> {
    let mut at = 0;
    while at + 4 <= extra.len() {
        let (id, len) = (u16_at(extra, at), u16_at(extra, at + 2) as usize);
        let body = extra.get(at + 4..at + 4 + len)?;
        if id == 1 {
            return (body.len() >= wanted * 8)
                .then(|| (0..wanted).map(|i| u64_at(body, i * 8)).collect());
        }
        at += 4 + len;
    }
    None
}

/// The Unix modification time of the extended timestamp field (0x5455).
fn unix_time(extra: &[u8]) -> Option<u64> {
    let mut at = 0;
    while at + 4 <= extra.len() {
        let (id, len) = (u16_at(extra, at), u16_at(extra, at + 2) as usize);
        let body = extra.get(at + 4..at + 4 + len)?;
        if id == 0x5455 && body.len() >= 5 && body[0] & 1 == 1 {
            return Some(u32_at(body, 1) as u64);
        }
        at += 4 + len;
    }
    None
}

/// A DOS date and time as seconds since the epoch (read as UTC).
fn dos_time(time: u16, date: u16) -> u64 {
    let (year, month, day) = (
        1980 + (date >> 9) as i64,
        ((date >> 5) & 15).clamp(1, 12) as i64,
        (date & 31).max(1) as i64,
    );
    // Days from 1970-01-01 to the date (civil-from-days, inverted).
    let (y, m) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = (time >> 11) as i64 * 3600 + ((time >> 5) & 63) as i64 * 60 + (time & 31) as i64 * 2;
    (days * 86_400 + secs).max(0) as u64
}

/// Sizes and offset with the ZIP64 field applied where the 4-byte value
/// is all ones.
fn widen(extra: &[u8], fields: [u32; 3], count: usize) -> Result<([u64; 3], bool), ReadError> {
    let wanted = fields[..count].iter().filter(|&&v| v == u32::MAX).count();
    let mut out = fields.map(u64::from);
    if wanted == 0 {
        return Ok((out, false));
    }
    let values = zip64_values(extra, wanted)
        .ok_or_else(|| corrupt("a size is marked as ZIP64 but the ZIP64 extra field is missing"))?;
    let mut next = values.into_iter();
    for v in out.iter_mut().take(count) {
        if *v == u64::from(u32::MAX) {
            *v = next.next().unwrap_or(*v);
        }
    }
    Ok((out, true))
}

/// A whole local file header (`LOCAL_FIXED` bytes, then name and extra).
pub fn local_header(b: &[u8]) -> Result<EntryRecord, ReadError> {
    let (name_len, extra_len) = (u16_at(b, 26) as usize, u16_at(b, 28) as usize);
    let name = b[LOCAL_FIXED..LOCAL_FIXED + name_len].to_vec();
    let extra = &b[LOCAL_FIXED + name_len..LOCAL_FIXED + name_len + extra_len];
    // Local order in the ZIP64 field: size, then compressed size.
    let ([size, compressed, _], zip64) = widen(extra, [u32_at(b, 22), u32_at(b, 18), 0], 2)?;
    Ok(EntryRecord {
        name,
        flags: u16_at(b, 6),
        method: u16_at(b, 8),
        crc: u32_at(b, 14),
        compressed,
        size,
        mtime: unix_time(extra).unwrap_or_else(|| dos_time(u16_at(b, 10), u16_at(b, 12))),
        zip64,
    })
}

/// A central directory record, with where its local header is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CentralRecord {
    pub entry: EntryRecord,
    pub local_offset: u64,
    /// The system that made it (3: Unix, 19: macOS) and the external
    /// attributes it wrote.
    pub made_by: u8,
    pub external: u32,
}

/// Bytes of a central directory record after its fixed part.
pub fn central_tail(b: &[u8]) -> usize {
    u16_at(b, 28) as usize + u16_at(b, 30) as usize + u16_at(b, 32) as usize
}

pub fn central_record(b: &[u8]) -> Result<CentralRecord, ReadError> {
    let (name_len, extra_len) = (u16_at(b, 28) as usize, u16_at(b, 30) as usize);
    let name = b[CENTRAL_FIXED..CENTRAL_FIXED + name_len].to_vec();
    let extra = &b[CENTRAL_FIXED + name_len..CENTRAL_FIXED + name_len + extra_len];
    let fields = [u32_at(b, 24), u32_at(b, 20), u32_at(b, 42)];
    let ([size, compressed, local_offset], zip64) = widen(extra, fields, 3)?;
    Ok(CentralRecord {
        entry: EntryRecord {
            name,
            flags: u16_at(b, 8),
            method: u16_at(b, 10),
            crc: u32_at(b, 16),
            compressed,
            size,
            mtime: 0,
            zip64,
        },
        local_offset,
        made_by: b[5],
        external: u32_at(b, 38),
    })
}

impl CentralRecord {
    /// Refuses what the attributes say is not a file or a folder.
    pub fn check_kind(&self, entry: &str) -> Result<(), ReadError> {
        if !matches!(self.made_by, 3 | 19) {
            return Ok(());
        }
        let entry = entry.to_string();
        match (self.external >> 16) & 0o170000 {
            0o120000 => Err(ReadError::ZipLink { entry }),
            0o020000 | 0o060000 => Err(ReadError::Device { entry }),
            0o010000 => Err(ReadError::Fifo { entry }),
            _ => Ok(()),
        }
    }
}

/// The data descriptor after an entry's data: (crc, compressed, size).
/// `wide`: 8-byte sizes (ZIP64). The signature is optional.
pub fn descriptor_len(first: &[u8], wide: bool) -> usize {
    let sizes = if wide { 16 } else { 8 };
    let signed = first.len() >= 4 && u32_at(first, 0) == DESCRIPTOR;
    4 + sizes + if signed { 4 } else { 0 }
}

pub fn descriptor(b: &[u8], wide: bool) -> (u32, u64, u64) {
    let at = if u32_at(b, 0) == DESCRIPTOR && b.len() == descriptor_len(b, wide) {
        4
    } else {
        0
    };
    if wide {
        (u32_at(b, at), u64_at(b, at + 4), u64_at(b, at + 12))
    } else {
        (
            u32_at(b, at),
            u32_at(b, at + 4).into(),
            u32_at(b, at + 8).into(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dos_dates_read_as_utc_seconds() {
        // 2024-03-05 13:45:58: date (44<<9)|(3<<5)|5, time (13<<11)|(45<<5)|29.
        assert_eq!(
            dos_time((13 << 11) | (45 << 5) | 29, (44 << 9) | (3 << 5) | 5),
            1_709_646_358
        );
        // 1980-01-01 00:00:00, the epoch of DOS dates: year 0, month 1, day 1.
        assert_eq!(dos_time(0, (1 << 5) | 1), 315_532_800);
    }

    #[test]
    fn the_zip64_field_fills_only_the_fields_marked_all_ones() {
        let mut extra = vec![1, 0, 16, 0];
        extra.extend_from_slice(&(5u64 << 32).to_le_bytes());
        extra.extend_from_slice(&(6u64 << 32).to_le_bytes());
        let (v, wide) = widen(&extra, [u32::MAX, u32::MAX, 7], 3).unwrap();
        assert_eq!((v, wide), ([5 << 32, 6 << 32, 7], true));
        let (v, wide) = widen(&[], [1, 2, 3], 3).unwrap();
        assert_eq!((v, wide), ([1, 2, 3], false));
        assert_eq!(
            widen(&[], [u32::MAX, 2, 3], 3).unwrap_err().kind(),
            "corrupt"
        );
    }
}
