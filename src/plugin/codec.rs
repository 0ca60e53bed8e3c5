//! The protobuf codec of every generated service (`build.rs` names it): prost, with message
//! buffers sized for Terraform's messages.
//!
//! tonic gives each request and each response a buffer of its own, 8 KiB by default. A
//! `PlanResourceChange` of a role is a few hundred bytes each way, and an 8 KiB block is past
//! what glibc's allocator keeps in its per-thread cache: every RPC paid two slow allocations
//! and frees for buffers it hardly used. Smaller buffers saved about 1% of the provider's
//! instructions in a 500-role plan, 2% in a refresh plan (BENCHMARKS.md, "Profile"). A buffer
//! still grows for a larger message (`GetProviderSchema`).

use std::marker::PhantomData;

use tonic::codec::{BufferSettings, Codec};
use tonic_prost::{ProstDecoder, ProstEncoder};

/// The initial size of a message buffer: most plugin messages fit, and the block stays small
/// enough for the allocator's thread cache (glibc's holds chunks up to 1032 bytes).
pub const MESSAGE_BUFFER_BYTES: usize = 1000;

/// The point at which an encoder hands a streamed body's bytes on (tonic's default).
const YIELD_THRESHOLD_BYTES: usize = 32 * 1024;

fn settings() -> BufferSettings {
    BufferSettings::new(MESSAGE_BUFFER_BYTES, YIELD_THRESHOLD_BYTES)
}

/// `tonic_prost::ProstCodec` with [`MESSAGE_BUFFER_BYTES`] buffers.
#[derive(Debug)]
pub struct WireCodec<T, U>(PhantomData<(T, U)>);

impl<T, U> Default for WireCodec<T, U> {
    fn default() -> Self {
        WireCodec(PhantomData)
    }
}

impl<T, U> Codec for WireCodec<T, U>
where
    T: prost::Message + Send + 'static,
    U: prost::Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = ProstDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        ProstEncoder::new(settings())
    }

    fn decoder(&mut self) -> Self::Decoder {
        ProstDecoder::new(settings())
    }
}
