//! HPACK (RFC 7541) decoding, for the header blocks a client sends our HTTP/2 server
//! (`http2`). Huffman-coded strings are decoded by `httlib-huffman`.
//!
//! Why not a crate's whole decoder: `loona-hpack` (and `hpack`, which it forks) builds a hash
//! map of the 257 Huffman codes for every Huffman-coded string and walks it bit by bit, about
//! 2.3 M instructions in the first calls of every launch (BENCHMARKS.md); `httlib-hpack` copies
//! every name and value into vectors of its own. What is left to write is small: integers,
//! strings, the static table and a dynamic table.

use std::collections::VecDeque;

/// Why a header block does not decode.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HpackError {
    #[error("the header block ends inside a field")]
    /// The block ends inside a field.
    Truncated,
    #[error("an integer in the header block is too large")]
    /// An integer is longer than any index or size here.
    IntegerTooLarge,
    #[error("a field refers to index {0}, which neither table has")]
    /// An index neither table has.
    BadIndex(usize),
    #[error("a Huffman-coded string does not decode")]
    /// A Huffman-coded string is malformed.
    Huffman,
    #[error("a table size update asks for {0} bytes, more than the {1} allowed")]
    /// A table size update past what we allow.
    TableTooLarge(usize, usize),
    #[error("a table size update comes after a field")]
    /// A table size update after a field.
    LateSizeUpdate,
}

/// RFC 7541, Appendix A.
const STATIC_TABLE: [(&[u8], &[u8]); 61] = [
    (b":authority", b""),
    (b":method", b"GET"),
    (b":method", b"POST"),
    (b":path", b"/"),
    (b":path", b"/index.html"),
    (b":scheme", b"http"),
    (b":scheme", b"https"),
    (b":status", b"200"),
    (b":status", b"204"),
    (b":status", b"206"),
    (b":status", b"304"),
    (b":status", b"400"),
    (b":status", b"404"),
    (b":status", b"500"),
    (b"accept-charset", b""),
    (b"accept-encoding", b"gzip, deflate"),
    (b"accept-language", b""),
    (b"accept-ranges", b""),
    (b"accept", b""),
    (b"access-control-allow-origin", b""),
    (b"age", b""),
    (b"allow", b""),
    (b"authorization", b""),
    (b"cache-control", b""),
    (b"content-disposition", b""),
    (b"content-encoding", b""),
    (b"content-language", b""),
    (b"content-length", b""),
    (b"content-location", b""),
    (b"content-range", b""),
    (b"content-type", b""),
    (b"cookie", b""),
    (b"date", b""),
    (b"etag", b""),
    (b"expect", b""),
    (b"expires", b""),
    (b"from", b""),
    (b"host", b""),
    (b"if-match", b""),
    (b"if-modified-since", b""),
    (b"if-none-match", b""),
    (b"if-range", b""),
    (b"if-unmodified-since", b""),
    (b"last-modified", b""),
    (b"link", b""),
    (b"location", b""),
    (b"max-forwards", b""),
    (b"proxy-authenticate", b""),
    (b"proxy-authorization", b""),
    (b"range", b""),
    (b"referer", b""),
    (b"refresh", b""),
    (b"retry-after", b""),
    (b"server", b""),
    (b"set-cookie", b""),
    (b"strict-transport-security", b""),
    (b"transfer-encoding", b""),
    (b"user-agent", b""),
    (b"vary", b""),
    (b"via", b""),
    (b"www-authenticate", b""),
];

/// What RFC 7541 counts for an entry beside its name and value.
const ENTRY_OVERHEAD: usize = 32;

/// An entry of the dynamic table: name and value in one buffer.
struct Entry {
    bytes: Box<[u8]>,
    name_len: usize,
}

impl Entry {
    fn name(&self) -> &[u8] {
        &self.bytes[..self.name_len]
    }
    fn value(&self) -> &[u8] {
        &self.bytes[self.name_len..]
    }
    fn size(&self) -> usize {
        self.bytes.len() + ENTRY_OVERHEAD
    }
}

/// The decoding side of one connection's HPACK state.
pub struct Decoder {
    /// Newest first.
    dynamic: VecDeque<Entry>,
    size: usize,
    /// The size the encoder last chose (at most `allowed`).
    max_size: usize,
    /// Our SETTINGS_HEADER_TABLE_SIZE.
    allowed: usize,
    /// Huffman-decoded strings of the field being decoded.
    name_scratch: Vec<u8>,
    value_scratch: Vec<u8>,
    /// A decoded string coded again, to check its padding.
    recoded: Vec<u8>,
}

/// Where a string of a field is.
enum Str {
    /// `len` bytes of the block at `at`.
    Raw { at: usize, len: usize },
    /// In the scratch buffer.
    Decoded,
}

impl Decoder {
    /// A decoder whose encoder may use a table of up to `allowed` bytes.
    pub fn new(allowed: usize) -> Decoder {
        Decoder {
            dynamic: VecDeque::new(),
            size: 0,
            max_size: allowed,
            allowed,
            name_scratch: Vec::new(),
            value_scratch: Vec::new(),
            recoded: Vec::new(),
        }
    }

    /// Decode one whole header block, giving each field to `field` in order.
    pub fn decode(&mut self, block: &[u8], mut field: impl FnMut(&[u8], &[u8])) -> Result<(), HpackError> {
        let mut at = 0;
        let mut fields_seen = false;
        while at < block.len() {
            let first = block[at];
            if first & 0x80 != 0 {
                let (index, next) = integer(block, at, 7)?;
                at = next;
                let (name, value) = entry_of(&self.dynamic, index)?;
                field(name, value);
                fields_seen = true;
            } else if first & 0xe0 == 0x20 {
                if fields_seen {
                    return Err(HpackError::LateSizeUpdate);
                }
                let (size, next) = integer(block, at, 5)?;
                at = next;
                if size > self.allowed {
                    return Err(HpackError::TableTooLarge(size, self.allowed));
                }
                self.max_size = size;
                self.evict(0);
            } else {
                // A literal: with incremental indexing (01), else without (0000) or never (0001).
                let indexing = first & 0xc0 == 0x40;
                let (index, next) = integer(block, at, if indexing { 6 } else { 4 })?;
                at = next;
                let name = if index == 0 {
                    let (s, next) = self.string(block, at, true)?;
                    at = next;
                    Some(s)
                } else {
                    None
                };
                let (value, next) = self.string(block, at, false)?;
                at = next;
                let value: &[u8] = match value {
                    Str::Raw { at, len } => &block[at..at + len],
                    Str::Decoded => &self.value_scratch,
                };
                let name: &[u8] = match name {
                    Some(Str::Raw { at, len }) => &block[at..at + len],
                    Some(Str::Decoded) => &self.name_scratch,
                    None => entry_of(&self.dynamic, index)?.0,
                };
                if indexing {
                    let mut bytes = Vec::with_capacity(name.len() + value.len());
                    bytes.extend_from_slice(name);
                    bytes.extend_from_slice(value);
                    let entry = Entry { bytes: bytes.into_boxed_slice(), name_len: name.len() };
                    field(entry.name(), entry.value());
                    self.insert(entry);
                } else {
                    field(name, value);
                }
                fields_seen = true;
            }
        }
        Ok(())
    }

    /// A string at `at`: where it is in the block, or Huffman-decoded into a scratch buffer.
    fn string(&mut self, block: &[u8], at: usize, is_name: bool) -> Result<(Str, usize), HpackError> {
        let huffman = *block.get(at).ok_or(HpackError::Truncated)? & 0x80 != 0;
        let (len, start) = integer(block, at, 7)?;
        let end = start.checked_add(len).filter(|&e| e <= block.len()).ok_or(HpackError::Truncated)?;
        if !huffman {
            return Ok((Str::Raw { at: start, len }, end));
        }
        let scratch = if is_name { &mut self.name_scratch } else { &mut self.value_scratch };
        scratch.clear();
        let coded = &block[start..end];
        httlib_huffman::decode(coded, scratch, httlib_huffman::DecoderSpeed::FiveBits)
            .map_err(|_| HpackError::Huffman)?;
        // The decoder lets padding of zeros pass, which RFC 7541 (5.2) makes an error. Every
        // string has one coding whose padding is the EOS code's ones: coded again, it must be
        // the same bytes. (Huffman-coded strings come once a launch; what follows refers to
        // the table.)
        self.recoded.clear();
        httlib_huffman::encode(scratch, &mut self.recoded).map_err(|_| HpackError::Huffman)?;
        if self.recoded != coded {
            return Err(HpackError::Huffman);
        }
        Ok((Str::Decoded, end))
    }

    fn insert(&mut self, entry: Entry) {
        let size = entry.size();
        if size > self.max_size {
            // An entry larger than the table empties it and is not added (RFC 7541, 4.4).
            self.dynamic.clear();
            self.size = 0;
            return;
        }
        self.evict(size);
        self.size += size;
        self.dynamic.push_front(entry);
    }

    /// Drop the oldest entries until `room` more bytes fit.
    fn evict(&mut self, room: usize) {
        while self.size + room > self.max_size {
            let Some(old) = self.dynamic.pop_back() else { break };
            self.size -= old.size();
        }
    }
}

fn entry_of(dynamic: &VecDeque<Entry>, index: usize) -> Result<(&[u8], &[u8]), HpackError> {
    if index == 0 {
        return Err(HpackError::BadIndex(0));
    }
    if let Some(&(name, value)) = STATIC_TABLE.get(index - 1) {
        return Ok((name, value));
    }
    dynamic.get(index - STATIC_TABLE.len() - 1).map(|e| (e.name(), e.value())).ok_or(HpackError::BadIndex(index))
}

/// An integer with an `n`-bit prefix at `at`, and where what follows it begins.
fn integer(block: &[u8], at: usize, n: u32) -> Result<(usize, usize), HpackError> {
    let max = (1usize << n) - 1;
    let first = usize::from(*block.get(at).ok_or(HpackError::Truncated)?) & max;
    if first < max {
        return Ok((first, at + 1));
    }
    let mut value = max;
    let mut shift = 0u32;
    let mut at = at + 1;
    loop {
        let byte = *block.get(at).ok_or(HpackError::Truncated)?;
        at += 1;
        // Four continuation bytes reach 2^28, more than any size or index here can be.
        if shift > 21 {
            return Err(HpackError::IntegerTooLarge);
        }
        value += usize::from(byte & 0x7f) << shift;
        shift += 7;
        if byte & 0x80 == 0 {
            return Ok((value, at));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Fields = Vec<(Vec<u8>, Vec<u8>)>;

    fn decode_all(decoder: &mut Decoder, block: &[u8]) -> Result<Fields, HpackError> {
        let mut fields = Vec::new();
        decoder.decode(block, |n, v| fields.push((n.to_vec(), v.to_vec())))?;
        Ok(fields)
    }

    #[test]
    fn the_static_table_is_rfc_7541s() {
        // Against an independent decoder: every static entry, indexed.
        let mut ours = Decoder::new(4096);
        let mut theirs = loona_hpack::Decoder::new();
        for index in 1..=61u8 {
            let block = [0x80 | index];
            assert_eq!(decode_all(&mut ours, &block).unwrap(), theirs.decode(&block).unwrap(), "index {index}");
        }
    }

    #[test]
    fn blocks_of_an_independent_encoder_decode_the_same_and_the_table_stays_in_step() {
        let mut encoder = loona_hpack::Encoder::new();
        let mut ours = Decoder::new(4096);
        let long = "z".repeat(3000);
        let requests: Vec<Vec<(&[u8], &[u8])>> = (0..40)
            .map(|i| {
                let path: &[u8] = match i % 4 {
                    0 => b"/tfplugin6.Provider/PlanResourceChange",
                    1 => b"/tfplugin6.Provider/ReadResource",
                    2 => b"/tfplugin6.Provider/ValidateResourceConfig",
                    _ => b"/plugin.GRPCStdio/StreamStdio",
                };
                let mut fields: Vec<(&[u8], &[u8])> = vec![
                    (b":method", b"POST"),
                    (b":scheme", b"http"),
                    (b":path", path),
                    (b":authority", b"unix:/tmp/plugin123"),
                    (b"content-type", b"application/grpc"),
                    (b"user-agent", b"grpc-go/1.69.4"),
                    (b"te", b"trailers"),
                ];
                // Entries large enough to evict others.
                if i % 7 == 3 {
                    fields.push((b"x-long", long.as_bytes()));
                }
                fields
            })
            .collect();
        for fields in &requests {
            let block = encoder.encode(fields.iter().copied());
            let want: Fields = fields.iter().map(|(n, v)| (n.to_vec(), v.to_vec())).collect();
            assert_eq!(decode_all(&mut ours, &block).unwrap(), want);
        }
    }

    #[test]
    fn huffman_coded_strings_decode() {
        // RFC 7541, C.4.1: a request with Huffman-coded literals.
        let block =
            [0x82, 0x86, 0x84, 0x41, 0x8c, 0xf1, 0xe3, 0xc2, 0xe5, 0xf2, 0x3a, 0x6b, 0xa0, 0xab, 0x90, 0xf4, 0xff];
        let mut d = Decoder::new(4096);
        let fields = decode_all(&mut d, &block).unwrap();
        assert_eq!(fields[3], (b":authority".to_vec(), b"www.example.com".to_vec()));
        // Now in the dynamic table, at index 62.
        assert_eq!(decode_all(&mut d, &[0xbe]).unwrap()[0].1, b"www.example.com");
    }

    #[test]
    fn malformed_blocks_are_errors() {
        let mut d = Decoder::new(4096);
        assert_eq!(decode_all(&mut d, &[0x80]), Err(HpackError::BadIndex(0)));
        assert_eq!(decode_all(&mut d, &[0xbe]), Err(HpackError::BadIndex(62)));
        assert_eq!(decode_all(&mut d, &[0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]), Err(HpackError::IntegerTooLarge));
        assert_eq!(decode_all(&mut d, &[0xff]), Err(HpackError::Truncated));
        assert_eq!(decode_all(&mut d, &[0x40, 0x05, b'a']), Err(HpackError::Truncated));
        assert_eq!(decode_all(&mut d, &[0x00, 0x81, 0x00, 0x00]), Err(HpackError::Huffman));
        // A size update past what we allow, and one after a field.
        assert_eq!(decode_all(&mut d, &[0x3f, 0xe2, 0x1f]), Err(HpackError::TableTooLarge(4097, 4096)));
        assert_eq!(decode_all(&mut d, &[0x82, 0x20]), Err(HpackError::LateSizeUpdate));
    }

    #[test]
    fn a_size_update_evicts_and_an_entry_too_large_empties_the_table() {
        let mut d = Decoder::new(4096);
        // Literal with indexing, new name "a", value "b": 34 bytes.
        decode_all(&mut d, &[0x40, 0x01, b'a', 0x01, b'b']).unwrap();
        assert_eq!(decode_all(&mut d, &[0xbe]).unwrap(), [(b"a".to_vec(), b"b".to_vec())]);
        // Size 0 evicts it.
        decode_all(&mut d, &[0x20]).unwrap();
        assert_eq!(decode_all(&mut d, &[0xbe]), Err(HpackError::BadIndex(62)));
        // Back to 40: a 34-byte entry fits, a second one evicts the first.
        decode_all(&mut d, &[0x3f, 0x09, 0x40, 0x01, b'a', 0x01, b'b', 0x40, 0x01, b'c', 0x01, b'd']).unwrap();
        assert_eq!(decode_all(&mut d, &[0xbe]).unwrap(), [(b"c".to_vec(), b"d".to_vec())]);
        assert_eq!(decode_all(&mut d, &[0xbf]), Err(HpackError::BadIndex(63)));
    }
}
