//! Byte-level primitives of the wire: LEB128 varints, zigzag for signed values, and a
//! bounds-checked reader whose every failure is a [`DecodeError`].

/// Why bytes could not be decoded. Decoding never panics.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("the message ended early")]
    Truncated,
    #[error("a varint is too long")]
    VarintOverflow,
    #[error("bytes left over after the message")]
    TrailingBytes,
    #[error("unknown keyframe format {0}")]
    UnknownFormat(u8),
    #[error("invalid {0}")]
    Invalid(&'static str),
    #[error("state out of bounds: {0}")]
    OutOfBounds(&'static str),
}

pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

pub fn put_zigzag(out: &mut Vec<u8>, v: i64) {
    put_varint(out, ((v << 1) ^ (v >> 63)) as u64);
}

/// Reads a message front to back.
pub struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        let (&first, rest) = self.bytes.split_first().ok_or(DecodeError::Truncated)?;
        self.bytes = rest;
        Ok(first)
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.bytes.len() < n {
            return Err(DecodeError::Truncated);
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    pub fn varint(&mut self) -> Result<u64, DecodeError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.u8()?;
            value |= u64::from(byte & 0x7F) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(DecodeError::VarintOverflow)
    }

    pub fn zigzag(&mut self) -> Result<i64, DecodeError> {
        let v = self.varint()?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }

    /// A varint that must fit `usize` and be at most `max`.
    pub fn count(&mut self, max: usize, what: &'static str) -> Result<usize, DecodeError> {
        let v = self.varint()?;
        usize::try_from(v).ok().filter(|&n| n <= max).ok_or(DecodeError::Invalid(what))
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.bytes.len()
    }

    pub fn finish(self) -> Result<(), DecodeError> {
        if self.bytes.is_empty() { Ok(()) } else { Err(DecodeError::TrailingBytes) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_zigzag_round_trip() {
        let mut out = Vec::new();
        for v in [0i64, 1, -1, 63, -64, 64, 1 << 40, i64::MIN, i64::MAX] {
            put_zigzag(&mut out, v);
        }
        put_varint(&mut out, u64::MAX);
        let mut r = Reader::new(&out);
        for v in [0i64, 1, -1, 63, -64, 64, 1 << 40, i64::MIN, i64::MAX] {
            assert_eq!(r.zigzag().unwrap(), v);
        }
        assert_eq!(r.varint().unwrap(), u64::MAX);
        r.finish().unwrap();
    }

    #[test]
    fn small_values_take_one_byte() {
        let mut out = Vec::new();
        put_zigzag(&mut out, -64);
        put_varint(&mut out, 127);
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn overlong_and_truncated_fail() {
        assert_eq!(Reader::new(&[0xFF; 11]).varint(), Err(DecodeError::VarintOverflow));
        assert_eq!(Reader::new(&[0x80]).varint(), Err(DecodeError::Truncated));
        assert_eq!(Reader::new(&[1]).finish(), Err(DecodeError::TrailingBytes));
    }
}
