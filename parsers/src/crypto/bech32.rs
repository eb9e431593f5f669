//! Bech32 (BIP-173) and bech32m (BIP-350) strings and segwit addresses.
//!
//! Both variants share one BCH code and differ only in the constant the
//! checksum must leave behind; decoding reports which constant matched so the
//! segwit layer can enforce "v0 uses bech32, v1+ uses bech32m". Getting that
//! rule wrong is the classic extractor bug: pre-2021 test suites list v1+
//! addresses with bech32 checksums that are no longer valid.

/// The 32 data symbols in value order.
pub const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/// Marks bytes that are not bech32 data symbols in [`VALUES`].
pub(super) const NOT_BECH32: u8 = 0xff;

/// Byte → 5-bit value for both cases (case consistency is checked separately).
pub(super) static VALUES: [u8; 256] = build_values();

const fn build_values() -> [u8; 256] {
    let mut table = [NOT_BECH32; 256];
    let mut i = 0;
    while i < CHARSET.len() {
        let ch = CHARSET[i];
        table[ch as usize] = i as u8;
        table[ch.to_ascii_uppercase() as usize] = i as u8;
        i += 1;
    }
    table
}

/// Which checksum constant a string satisfies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// BIP-173: constant 1.
    Bech32,
    /// BIP-350: constant 0x2bc830a3.
    Bech32m,
}

impl Variant {
    fn constant(self) -> u32 {
        match self {
            Variant::Bech32 => 1,
            Variant::Bech32m => 0x2bc8_30a3,
        }
    }
}

/// BIP-173 generic limit; segwit addresses are always shorter.
const MAX_LEN: usize = 90;

fn polymod_step(chk: u32, value: u8) -> u32 {
    const GEN: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    let top = chk >> 25;
    let mut chk = ((chk & 0x01ff_ffff) << 5) ^ u32::from(value);
    for (i, g) in GEN.iter().enumerate() {
        if (top >> i) & 1 == 1 {
            chk ^= g;
        }
    }
    chk
}

/// Runs the checksum over the expanded human-readable part followed by `data`.
fn polymod(hrp: &[u8], data: impl Iterator<Item = u8>) -> u32 {
    let mut chk = 1u32;
    for &c in hrp {
        chk = polymod_step(chk, c.to_ascii_lowercase() >> 5);
    }
    chk = polymod_step(chk, 0);
    for &c in hrp {
        chk = polymod_step(chk, c.to_ascii_lowercase() & 0x1f);
    }
    data.fold(chk, polymod_step)
}

/// A checksum-valid bech32/bech32m string split into its parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// Human-readable part, lower-cased.
    pub hrp: String,
    /// 5-bit data values, checksum removed.
    pub data: Vec<u8>,
    /// Which checksum constant matched.
    pub variant: Variant,
}

/// Decodes any bech32/bech32m string under the BIP-173 rules: printable
/// US-ASCII only, at most 90 characters, no mixed case, non-empty
/// human-readable part, and at least six checksum symbols.
pub fn decode(s: &str) -> Option<Decoded> {
    let bytes = s.as_bytes();
    if bytes.len() > MAX_LEN || bytes.iter().any(|&b| !(33..=126).contains(&b)) {
        return None;
    }
    let has_lower = bytes.iter().any(u8::is_ascii_lowercase);
    let has_upper = bytes.iter().any(u8::is_ascii_uppercase);
    if has_lower && has_upper {
        return None;
    }
    let sep = bytes.iter().rposition(|&b| b == b'1')?;
    if sep == 0 || sep + 7 > bytes.len() {
        return None;
    }
    let (hrp, rest) = (&bytes[..sep], &bytes[sep + 1..]);
    let mut values = Vec::with_capacity(rest.len());
    for &b in rest {
        let v = VALUES[b as usize];
        if v == NOT_BECH32 {
            return None;
        }
        values.push(v);
    }
    let residue = polymod(hrp, values.iter().copied());
    let variant = [Variant::Bech32, Variant::Bech32m]
        .into_iter()
        .find(|v| v.constant() == residue)?;
    values.truncate(values.len() - 6);
    Some(Decoded {
        hrp: String::from_utf8_lossy(hrp).to_ascii_lowercase(),
        data: values,
        variant,
    })
}

/// True when `s` is a valid string carrying the checksum of `variant`.
pub fn verify(s: &str, variant: Variant) -> bool {
    decode(s).is_some_and(|d| d.variant == variant)
}

/// Encodes lower-case `hrp` and 5-bit `data` with the checksum of `variant`.
pub fn encode(hrp: &str, data: &[u8], variant: Variant) -> String {
    let residue =
        polymod(hrp.as_bytes(), data.iter().copied().chain([0u8; 6])) ^ variant.constant();
    let mut out = String::with_capacity(hrp.len() + 1 + data.len() + 6);
    out.push_str(hrp);
    out.push('1');
    for &v in data {
        out.push(char::from(CHARSET[usize::from(v & 31)]));
    }
    for i in 0..6 {
        out.push(char::from(
            CHARSET[((residue >> (5 * (5 - i))) & 31) as usize],
        ));
    }
    out
}

/// Regroups bits, e.g. 8-bit bytes to 5-bit symbols. Without `pad`, leftover
/// bits must be fewer than `from` and all zero, as BIP-173 requires.
pub fn convert_bits(data: &[u8], from: u32, to: u32, pad: bool) -> Option<Vec<u8>> {
    let mut acc = 0u32;
    let mut bits = 0u32;
    let max = (1u32 << to) - 1;
    let mut out = Vec::with_capacity(data.len() * from as usize / to as usize + 1);
    for &value in data {
        let value = u32::from(value);
        if value >> from != 0 {
            return None;
        }
        acc = (acc << from) | value;
        bits += from;
        while bits >= to {
            bits -= to;
            out.push(((acc >> bits) & max) as u8);
        }
    }
    if pad {
        if bits > 0 {
            out.push(((acc << (to - bits)) & max) as u8);
        }
    } else if bits >= from || (acc << (to - bits)) & max != 0 {
        return None;
    }
    Some(out)
}

/// A decoded segwit output: witness version and program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segwit {
    /// Human-readable part, lower-cased (`bc`, `tb`, `ltc`...).
    pub hrp: String,
    /// Witness version 0..=16.
    pub version: u8,
    /// Witness program, 2..=40 bytes.
    pub program: Vec<u8>,
}

/// Decodes a segwit address under BIP-173 as amended by BIP-350.
pub fn decode_segwit(s: &str) -> Option<Segwit> {
    let decoded = decode(s)?;
    let (&version, rest) = decoded.data.split_first()?;
    if version > 16 {
        return None;
    }
    let expected = if version == 0 {
        Variant::Bech32
    } else {
        Variant::Bech32m
    };
    if decoded.variant != expected {
        return None;
    }
    let program = convert_bits(rest, 5, 8, false)?;
    if !(2..=40).contains(&program.len()) || (version == 0 && ![20, 32].contains(&program.len())) {
        return None;
    }
    Some(Segwit {
        hrp: decoded.hrp,
        version,
        program,
    })
}

/// Encodes a segwit address; `None` when the version or length is not allowed.
pub fn encode_segwit(hrp: &str, version: u8, program: &[u8]) -> Option<String> {
    if version > 16 || !(2..=40).contains(&program.len()) {
        return None;
    }
    if version == 0 && ![20, 32].contains(&program.len()) {
        return None;
    }
    let variant = if version == 0 {
        Variant::Bech32
    } else {
        Variant::Bech32m
    };
    let mut data = vec![version];
    data.extend(convert_bits(program, 8, 5, true)?);
    Some(encode(hrp, &data, variant))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bip350_vectors() {
        let p2tr = "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0";
        let seg = decode_segwit(p2tr).expect("valid p2tr");
        assert_eq!((seg.version, seg.program.len()), (1, 32));
        // Same program with a bech32 checksum is invalid since BIP-350.
        assert!(decode_segwit(
            "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7k7grplx"
        )
        .is_none());
        assert!(decode_segwit("BC1SW50QGDZ25J").is_some());
    }

    #[test]
    fn encode_round_trip() {
        let program = [7u8; 32];
        for version in [0u8, 1, 5, 16] {
            let text = encode_segwit("tb", version, &program).expect("encodable");
            let seg = decode_segwit(&text).expect("decodable");
            assert_eq!(
                (seg.version, seg.program.as_slice()),
                (version, &program[..])
            );
            assert!(decode_segwit(&text.to_ascii_uppercase()).is_some());
        }
    }

    #[test]
    fn mixed_case_is_rejected() {
        assert!(decode("A12uEL5L").is_none());
        assert!(verify("A12UEL5L", Variant::Bech32));
    }
}
