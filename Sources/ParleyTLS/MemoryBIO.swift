internal import COpenSSL

/// Short-lived memory BIOs for moving PEM text in and out of OpenSSL.
enum MemoryBIO {
    /// Calls `body` with a read-only BIO over the UTF-8 bytes of `text`; the BIO is freed afterwards.
    static func reading<T>(_ text: String, operation: String, _ body: (OpaquePointer) throws -> T) throws -> T {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= Int(Int32.max) else {
            throw OpenSSLError(operation: operation, reasons: ["no PEM data"])
        }
        return try bytes.withUnsafeBytes { raw in
            OpenSSLError.clearQueue()
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else {
                throw OpenSSLError.drain(operation: "BIO_new_mem_buf")
            }
            defer { BIO_free(bio) }
            return try body(bio)
        }
    }

    /// Runs `write` (which returns 1 on success, like the `PEM_write_bio_*` functions) against a fresh memory BIO
    /// and returns everything written as text.
    static func writing(operation: String, _ write: (OpaquePointer) -> Int32) throws -> String {
        OpenSSLError.clearQueue()
        guard let bio = BIO_new(BIO_s_mem()) else {
            throw OpenSSLError.drain(operation: "BIO_new")
        }
        defer { BIO_free(bio) }
        guard write(bio) == 1 else {
            throw OpenSSLError.drain(operation: operation)
        }
        let pending = max(0, Int(COpenSSL_BIO_pending(bio)))
        var bytes = [UInt8](repeating: 0, count: pending)
        let read = bytes.withUnsafeMutableBytes { raw in
            BIO_read(bio, raw.baseAddress, Int32(clamping: raw.count))
        }
        return String(decoding: bytes.prefix(max(0, Int(read))), as: UTF8.self)
    }
}
