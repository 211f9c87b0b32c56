//! Why an archive cannot be read at all. In: what the decompressor or the
//! tar parser ran into. Out: a [`ReadError`] that names the entry or the
//! offset, says what to do, and has a stable [`ReadError::kind`] for tests
//! and JSON. A hostile entry is refused the moment its header is read,
//! before any of its data is handed on.

use serde::Serialize;

/// The advice every refusal ends with.
const REFUSED: &str = "The archive is refused: nothing from it is written. \
    Only open archives from a source you trust.";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("entry \"{entry}\" climbs out of the folder with \"..\". {REFUSED}")]
    ParentPath { entry: String },
    #[error("entry \"{entry}\" has an absolute path. {REFUSED}")]
    AbsolutePath { entry: String },
    #[error("entry \"{entry}\" has a NUL byte in its name. {REFUSED}")]
    NulInName { entry: String },
    #[error("entry \"{entry}\" is a symbolic link (to \"{target}\"). {REFUSED}")]
    Symlink { entry: String, target: String },
    #[error("entry \"{entry}\" is a hard link (to \"{target}\"). {REFUSED}")]
    HardLink { entry: String, target: String },
    #[error(
        "entry \"{entry}\" is a symbolic link (so its attributes in the zip's central directory \
         say). {REFUSED}"
    )]
    ZipLink { entry: String },
    #[error(
        "entry \"{entry}\" {what}, which this reader does not read. Unzip the archive and open \
         its folder, or zip it again without that (zip -r)."
    )]
    ZipUnsupported { entry: String, what: String },
    #[error("entry \"{entry}\" is a device file. {REFUSED}")]
    Device { entry: String },
    #[error("entry \"{entry}\" is a FIFO (named pipe). {REFUSED}")]
    Fifo { entry: String },
    #[error(
        "entry \"{entry}\" is of tar type '{}' ({what}), which a model archive never holds. \
         {REFUSED}",
        char::from(*.type_byte).escape_default()
    )]
    UnsupportedEntry {
        entry: String,
        type_byte: u8,
        what: &'static str,
    },
    #[error(
        "this is not a tar archive (nor a gzip- or zstd-compressed one, nor a zip): its first \
         bytes are not a tar header. Open a .tar, .tar.gz, .tar.zst, .zip or .ollamazip file."
    )]
    NotAnArchive,
    #[error(
        "the tar header at byte {offset} has a wrong checksum: the archive is damaged. \
         Copy it again from its source."
    )]
    BadChecksum { offset: u64 },
    #[error("the tar header at byte {offset} is damaged ({reason}). Copy the archive again.")]
    BadHeader { offset: u64, reason: String },
    #[error(
        "the extended header (PAX or GNU long name) at byte {offset} claims {size} bytes, \
         more than the {limit} any real archive needs. {REFUSED}"
    )]
    HeaderTooLarge { offset: u64, size: u64, limit: u64 },
    #[error(
        "entry \"{entry}\" claims {size} bytes but only {available} bytes of the archive \
         follow its header: the archive is cut short, or the header lies. Copy or download \
         it again from a source you trust."
    )]
    BeyondArchive {
        entry: String,
        size: u64,
        available: u64,
    },
    #[error(
        "the archive is cut short{}: it ends without its end-of-archive marker. \
         Copy or download it again.",
        match .entry { Some(e) => format!(" inside entry \"{e}\""), None => String::new() }
    )]
    Truncated { entry: Option<String> },
    #[error("the {format} data is damaged: {reason}. Copy or download the archive again.")]
    Corrupt {
        format: &'static str,
        reason: String,
    },
    #[error(
        "the zstd data asks for a {window} byte window, more than the {limit} this reader \
         allows. Recompress it with a normal level (zstd -19 or less, no --long=31)."
    )]
    ZstdWindow { window: u64, limit: u64 },
    #[error(
        "decompressing expands {input} bytes into more than {output}: far beyond any real \
         model archive (a decompression bomb?). {REFUSED}"
    )]
    Bomb { input: u64, output: u64 },
    #[error("the archive unpacks to more than the {limit} bytes allowed. {REFUSED}")]
    TooLarge { limit: u64 },
    #[error("the reader was used after it failed or finished; open the archive again")]
    Finished,
}

impl ReadError {
    /// A stable snake_case name for the kind of failure.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::ParentPath { .. } => "parent_path",
            Self::AbsolutePath { .. } => "absolute_path",
            Self::NulInName { .. } => "nul_in_name",
            Self::Symlink { .. } => "symlink",
            Self::HardLink { .. } => "hard_link",
            Self::ZipLink { .. } => "zip_link",
            Self::ZipUnsupported { .. } => "zip_unsupported",
            Self::Device { .. } => "device",
            Self::Fifo { .. } => "fifo",
            Self::UnsupportedEntry { .. } => "unsupported_entry",
            Self::NotAnArchive => "not_an_archive",
            Self::BadChecksum { .. } => "bad_checksum",
            Self::BadHeader { .. } => "bad_header",
            Self::HeaderTooLarge { .. } => "header_too_large",
            Self::BeyondArchive { .. } => "beyond_archive",
            Self::Truncated { .. } => "truncated",
            Self::Corrupt { .. } => "corrupt",
            Self::ZstdWindow { .. } => "zstd_window",
            Self::Bomb { .. } => "bomb",
            Self::TooLarge { .. } => "too_large",
            Self::Finished => "finished",
        }
    }
}

impl Serialize for ReadError {
    /// `{"kind": "...", "message": "..."}`.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("ReadError", 2)?;
        st.serialize_field("kind", self.kind())?;
        st.serialize_field("message", &self.to_string())?;
        st.end()
    }
}
