//! gzip members, framed by hand on top of raw deflate, one record per member.
//!
//! Encoding: `flate2::write::GzEncoder` allocates a fresh compressor (~300 KB of tables) per
//! member, i.e. per record. In `examples/warc_bench.rs` that allocation showed up as page
//! faults (13% of samples) and made whole runs 2.5–4.5× slower, erratically. [`Deflater`] keeps
//! one compressor and resets it, producing the same RFC 1952 members.
//!
//! `flate2::bufread::GzDecoder` would do for reading, but repair has to tell three outcomes
//! apart that its error kinds blur: the member is complete (CRC-32 and length verified), the
//! input simply ran out (a torn append), or the bytes are damaged. Only the second may ever be
//! truncated away, so the distinction is decided here, explicitly, and not by error strings.

use std::io::{self, BufRead};

use flate2::{Compress, Compression, Crc, Decompress, FlushCompress, FlushDecompress, Status};

/// A reusable gzip member encoder.
pub(super) struct Deflater {
    z: Compress,
    level: Compression,
}

impl Deflater {
    pub(super) fn new(level: Compression) -> Deflater {
        Deflater {
            z: Compress::new(level, false),
            level,
        }
    }

    /// Appends to `out` one complete gzip member holding the concatenation of `parts`.
    pub(super) fn member(&mut self, out: &mut Vec<u8>, parts: &[&[u8]]) -> io::Result<()> {
        self.z.reset();
        // RFC 1952 header: no flags, no mtime (the WARC-Date is the time that matters),
        // XFL 4 = fastest / 2 = best, OS 255 = unknown (as flate2 writes it).
        let xfl = match self.level.level() {
            0..=1 => 4,
            9 => 2,
            _ => 0,
        };
        out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 255]);
        let mut crc = Crc::new();
        for part in parts {
            crc.update(part);
            let mut rest = *part;
            while !rest.is_empty() {
                out.reserve(rest.len() / 2 + 1024);
                let before = self.z.total_in();
                self.z
                    .compress_vec(rest, out, FlushCompress::None)
                    .map_err(io::Error::other)?;
                let used = usize::try_from(self.z.total_in() - before).map_err(io::Error::other)?;
                rest = rest.get(used..).unwrap_or_default();
            }
        }
        loop {
            out.reserve(8 * 1024);
            let status = self
                .z
                .compress_vec(&[], out, FlushCompress::Finish)
                .map_err(io::Error::other)?;
            if status == Status::StreamEnd {
                break;
            }
        }
        out.extend_from_slice(&crc.sum().to_le_bytes());
        out.extend_from_slice(&crc.amount().to_le_bytes());
        Ok(())
    }
}

/// How a member ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Member {
    /// Header, deflate stream and trailer all present; CRC-32 and ISIZE match.
    Complete {
        /// Bytes of the member as stored (header through trailer).
        compressed_len: u64,
        /// Bytes it decompresses to.
        decompressed_len: u64,
    },
    /// The input ended before the member did, with nothing wrong in what was there.
    Truncated,
    /// The bytes are not (or stop being) a valid gzip member.
    Corrupt(String),
}

const FTEXT: u8 = 1;
const FHCRC: u8 = 2;
const FEXTRA: u8 = 4;
const FNAME: u8 = 8;
const FCOMMENT: u8 = 16;

/// Where bytes of the member come from; counts what it consumes so that the caller knows where
/// the next member starts.
struct Counted<'a, R: BufRead> {
    src: &'a mut R,
    consumed: u64,
}

enum Step<T> {
    Got(T),
    Eof,
}

impl<R: BufRead> Counted<'_, R> {
    fn byte(&mut self) -> io::Result<Step<u8>> {
        let buf = self.src.fill_buf()?;
        match buf.first() {
            Some(&b) => {
                self.src.consume(1);
                self.consumed += 1;
                Ok(Step::Got(b))
            }
            None => Ok(Step::Eof),
        }
    }

    fn bytes<const N: usize>(&mut self) -> io::Result<Step<[u8; N]>> {
        let mut out = [0u8; N];
        for slot in out.iter_mut() {
            match self.byte()? {
                Step::Got(b) => *slot = b,
                Step::Eof => return Ok(Step::Eof),
            }
        }
        Ok(Step::Got(out))
    }

    /// Skips a zero-terminated header field (file name, comment).
    fn skip_zstring(&mut self) -> io::Result<Step<()>> {
        loop {
            match self.byte()? {
                Step::Got(0) => return Ok(Step::Got(())),
                Step::Got(_) => {}
                Step::Eof => return Ok(Step::Eof),
            }
        }
    }
}

macro_rules! need {
    ($e:expr) => {
        match $e? {
            Step::Got(v) => v,
            Step::Eof => return Ok(Member::Truncated),
        }
    };
}

/// Decodes the gzip member that starts at the current position of `src`, handing every
/// decompressed chunk to `sink`, and leaves `src` right after the member when it is complete.
///
/// I/O errors of `src` or `sink` are returned as errors; everything about the data itself is
/// reported through [`Member`].
pub(super) fn decode_member<R: BufRead>(
    src: &mut R,
    sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
) -> io::Result<Member> {
    let mut input = Counted { src, consumed: 0 };

    let [id1, id2, cm, flg] = need!(input.bytes::<4>());
    if id1 != 0x1f || id2 != 0x8b {
        return Ok(Member::Corrupt(format!(
            "no gzip magic (found {id1:02x} {id2:02x})"
        )));
    }
    if cm != 8 {
        return Ok(Member::Corrupt(format!(
            "unknown gzip compression method {cm}"
        )));
    }
    if flg & !(FTEXT | FHCRC | FEXTRA | FNAME | FCOMMENT) != 0 {
        return Ok(Member::Corrupt(format!(
            "reserved gzip flag bits set ({flg:#04x})"
        )));
    }
    // MTIME (4), XFL (1), OS (1): nothing to check.
    need!(input.bytes::<6>());
    if flg & FEXTRA != 0 {
        let xlen = u16::from_le_bytes(need!(input.bytes::<2>()));
        for _ in 0..xlen {
            need!(input.byte());
        }
    }
    if flg & FNAME != 0 {
        need!(input.skip_zstring());
    }
    if flg & FCOMMENT != 0 {
        need!(input.skip_zstring());
    }
    if flg & FHCRC != 0 {
        need!(input.bytes::<2>());
    }

    let mut inflater = Decompress::new(false);
    let mut crc = Crc::new();
    let mut out = vec![0u8; 64 * 1024];
    loop {
        let buf = input.src.fill_buf()?;
        if buf.is_empty() {
            return Ok(Member::Truncated);
        }
        let (in_before, out_before) = (inflater.total_in(), inflater.total_out());
        let status = match inflater.decompress(buf, &mut out, FlushDecompress::None) {
            Ok(status) => status,
            Err(e) => return Ok(Member::Corrupt(format!("invalid deflate data: {e}"))),
        };
        let used = usize::try_from(inflater.total_in() - in_before)
            .map_err(|_| io::Error::other("deflate consumed more than a buffer"))?;
        let made = usize::try_from(inflater.total_out() - out_before)
            .map_err(|_| io::Error::other("deflate produced more than a buffer"))?;
        input.src.consume(used);
        input.consumed += used as u64;
        if let Some(chunk) = out.get(..made) {
            crc.update(chunk);
            sink(chunk)?;
        }
        match status {
            Status::StreamEnd => break,
            Status::Ok | Status::BufError => {
                if used == 0 && made == 0 {
                    return Ok(Member::Corrupt(
                        "deflate stream makes no progress".to_string(),
                    ));
                }
            }
        }
    }

    let trailer = need!(input.bytes::<8>());
    let [c0, c1, c2, c3, s0, s1, s2, s3] = trailer;
    let stored_crc = u32::from_le_bytes([c0, c1, c2, c3]);
    let stored_size = u32::from_le_bytes([s0, s1, s2, s3]);
    if stored_crc != crc.sum() {
        return Ok(Member::Corrupt(format!(
            "gzip CRC-32 mismatch (stored {stored_crc:08x}, computed {:08x})",
            crc.sum()
        )));
    }
    let decompressed_len = inflater.total_out();
    // ISIZE is the length modulo 2^32 (RFC 1952), so the truncating cast is the definition.
    if stored_size != (decompressed_len & 0xffff_ffff) as u32 {
        return Ok(Member::Corrupt(format!(
            "gzip length mismatch (stored {stored_size}, decoded {decompressed_len})"
        )));
    }
    Ok(Member::Complete {
        compressed_len: input.consumed,
        decompressed_len,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use flate2::{Compression, GzBuilder};
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn decode(bytes: &[u8]) -> (Member, Vec<u8>) {
        let mut out = Vec::new();
        let mut src = bytes;
        let m = decode_member(&mut src, &mut |c| {
            out.extend_from_slice(c);
            Ok(())
        })
        .unwrap();
        (m, out)
    }

    #[test]
    fn deflater_members_are_standard_gzip() {
        use flate2::read::MultiGzDecoder;
        use std::io::Read;
        let big = (0..200_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect::<Vec<_>>();
        for level in [0, 1, 6, 9] {
            let mut d = Deflater::new(Compression::new(level));
            let mut out = Vec::new();
            d.member(&mut out, &[b"head ", &big, b" tail"]).unwrap();
            let first = out.len() as u64;
            d.member(&mut out, &[]).unwrap();
            d.member(&mut out, &[b"third"]).unwrap();
            // flate2's own decoder reads the members back-to-back.
            let mut all = Vec::new();
            MultiGzDecoder::new(&out[..]).read_to_end(&mut all).unwrap();
            let mut want = b"head ".to_vec();
            want.extend_from_slice(&big);
            want.extend_from_slice(b" tail");
            want.extend_from_slice(b"third");
            assert_eq!(all, want, "level {level}");
            assert!(matches!(
                decode(&out).0,
                Member::Complete { compressed_len, .. } if compressed_len == first
            ));
        }
    }

    #[test]
    fn complete_member_and_position() {
        let data = b"hello hello hello world".repeat(100);
        let mut two = gz(&data);
        let first_len = two.len() as u64;
        two.extend(gz(b"second"));
        let mut src = &two[..];
        let mut out = Vec::new();
        let m = decode_member(&mut src, &mut |c| {
            out.extend_from_slice(c);
            Ok(())
        })
        .unwrap();
        assert_eq!(
            m,
            Member::Complete {
                compressed_len: first_len,
                decompressed_len: data.len() as u64
            }
        );
        assert_eq!(out, data);
        let (m2, out2) = decode(src);
        assert!(matches!(m2, Member::Complete { .. }));
        assert_eq!(out2, b"second");
    }

    #[test]
    fn every_prefix_is_truncated_not_corrupt() {
        let member = gz(&(0..5000u32)
            .flat_map(|i| i.to_le_bytes())
            .collect::<Vec<_>>());
        for cut in 0..member.len() {
            let (m, _) = decode(&member[..cut]);
            assert_eq!(m, Member::Truncated, "prefix of {cut} bytes");
        }
    }

    #[test]
    fn header_fields_are_skipped() {
        let mut e = GzBuilder::new()
            .filename("x.txt")
            .comment("a comment")
            .extra(vec![1, 2, 3, 4])
            .write(Vec::new(), Compression::default());
        e.write_all(b"payload").unwrap();
        let bytes = e.finish().unwrap();
        let (m, out) = decode(&bytes);
        assert!(matches!(m, Member::Complete { .. }));
        assert_eq!(out, b"payload");
    }

    #[test]
    fn damage_is_corrupt() {
        let mut member = gz(b"some data that will be damaged in its trailer");
        let last = member.len() - 6;
        member[last] ^= 0x55;
        assert!(matches!(decode(&member).0, Member::Corrupt(_)));
        assert!(matches!(decode(&[0u8; 32]).0, Member::Corrupt(_)));
    }
}
