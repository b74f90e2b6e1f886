//! Helpers shared by the fuzz targets: turning one fuzzer input into several packets.

/// Splits `data` into packets: each packet is a length byte (taken modulo 64, so MTU-sized
/// packets and tiny ones are both reached) followed by that many bytes; a short tail is the
/// last packet.
pub fn packets(mut data: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while let Some((&len, rest)) = data.split_first() {
        let n = (len as usize % 64).min(rest.len());
        out.push(rest[..n].to_vec());
        data = &rest[n..];
    }
    out
}
