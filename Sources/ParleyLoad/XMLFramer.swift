import NIOCore

/// Splits an XMPP byte stream into top-level elements without parsing them, for the generator's hot path.
///
/// The server is trusted to send well-formed XML; the framer only tracks depth (start tags, end tags, empty tags,
/// quoted attribute values, comments, CDATA and the XML declaration) and hands out each complete child of the
/// root as an `ElementView`:
///
/// ```
/// <?xml version='1.0'?><stream:stream …>        → .streamOpened   (rootDepth 1: TCP, or a BOSH <body/>)
///   <stream:features>…</stream:features>         → .element
/// </stream:stream>                               → .streamClosed
/// ```
///
/// With `rootDepth` 0 (RFC 7395 WebSocket frames) there is no root: every top-level element is reported, `<open/>`
/// and `<close/>` included.
public struct XMLFramer {
    public enum Event {
        /// The root's start tag (its bytes, as a view).
        case streamOpened(ElementView)
        case element(ElementView)
        case streamClosed
    }

    /// What the consumer wants after an event.
    public enum Action {
        case proceed
        /// The stream restarts after this element (RFC 6120 §4.3.3): the next bytes open a new root.
        case restart
        /// Stop delivering events; the rest of the buffer stays for a later `process` (or is dropped).
        case stop
    }

    public let rootDepth: Int
    private var buffer: ByteBuffer
    /// Offset (from the reader index) where scanning resumes.
    private var scanOffset = 0
    /// Offset (from the reader index) where the current top-level element began, or -1.
    private var elementStart = -1
    private var depth = 0

    public init(rootDepth: Int, allocator: ByteBufferAllocator = ByteBufferAllocator()) {
        self.rootDepth = rootDepth
        self.buffer = allocator.buffer(capacity: 0)
    }

    /// Bytes received but not yet consumed by a complete element.
    public var bufferedByteCount: Int { self.buffer.readableBytes }

    /// Starts a new stream: the next bytes begin a new document.
    public mutating func reset() {
        self.depth = 0
        self.elementStart = -1
        self.scanOffset = 0
    }

    /// Drops everything buffered.
    public mutating func clear() {
        self.reset()
        self.buffer.clear()
    }

    public mutating func append(_ bytes: inout ByteBuffer) {
        if self.buffer.readableBytes == 0 && self.buffer.readerIndex > 0 {
            self.buffer.clear()
        }
        self.buffer.writeBuffer(&bytes)
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if self.buffer.readableBytes == 0 && self.buffer.readerIndex > 0 {
            self.buffer.clear()
        }
        self.buffer.writeBytes(bytes)
    }

    /// Delivers every complete event in the buffer to `handle`, in order.
    /// - Returns: false if the data is not XML the framer can follow (the caller should drop the connection).
    @discardableResult
    public mutating func process(_ handle: (Event) -> Action) -> Bool {
        var consumed = 0
        var valid = true
        let rootDepth = self.rootDepth
        var depth = self.depth
        var elementStart = self.elementStart
        var scan = self.scanOffset
        self.buffer.withUnsafeReadableBytes { bytes in
            let count = bytes.count
            scanning: while scan < count {
                // Find the next '<'.
                guard let lt = Self.find(UInt8(ascii: "<"), in: bytes, from: scan) else {
                    scan = count
                    break
                }
                guard lt + 1 < count else {
                    scan = lt
                    break
                }
                let next = bytes[lt + 1]
                if next == UInt8(ascii: "?") {
                    guard let end = Self.find("?>", in: bytes, from: lt + 2) else {
                        scan = lt
                        break
                    }
                    scan = end + 2
                    if elementStart < 0 { consumed = scan }
                    continue
                }
                if next == UInt8(ascii: "!") {
                    let terminator: StaticString
                    if lt + 3 < count && bytes[lt + 2] == UInt8(ascii: "-") && bytes[lt + 3] == UInt8(ascii: "-") {
                        terminator = "-->"
                    } else if lt + 2 < count && bytes[lt + 2] == UInt8(ascii: "[") {
                        terminator = "]]>"
                    } else {
                        terminator = ">"
                    }
                    guard let end = Self.find(terminator, in: bytes, from: lt + 2) else {
                        scan = lt
                        break
                    }
                    scan = end + terminator.utf8CodeUnitCount
                    if elementStart < 0 { consumed = scan }
                    continue
                }
                if next == UInt8(ascii: "/") {
                    guard let gt = Self.find(UInt8(ascii: ">"), in: bytes, from: lt + 2) else {
                        scan = lt
                        break
                    }
                    scan = gt + 1
                    depth -= 1
                    if depth < 0 {
                        valid = false
                        break
                    }
                    if depth == rootDepth && elementStart >= 0 {
                        let view = ElementView(UnsafeRawBufferPointer(rebasing: bytes[elementStart..<scan]))
                        elementStart = -1
                        consumed = scan
                        switch handle(.element(view)) {
                        case .proceed: break
                        case .restart: depth = 0
                        case .stop:
                            break scanning
                        }
                    } else if depth == rootDepth - 1 {
                        consumed = scan
                        if case .stop = handle(.streamClosed) {
                            break scanning
                        }
                        depth = 0
                    }
                    continue
                }
                // A start tag: find its '>' outside quoted values.
                guard let gt = Self.endOfStartTag(in: bytes, from: lt + 1) else {
                    scan = lt
                    break
                }
                scan = gt + 1
                let empty = bytes[gt - 1] == UInt8(ascii: "/")
                if depth == rootDepth - 1 && !empty {
                    // The root (stream header or BOSH body) opens.
                    depth += 1
                    consumed = scan
                    let view = ElementView(UnsafeRawBufferPointer(rebasing: bytes[lt..<scan]))
                    if case .stop = handle(.streamOpened(view)) {
                        break scanning
                    }
                    continue
                }
                if depth == rootDepth {
                    if empty {
                        consumed = scan
                        let view = ElementView(UnsafeRawBufferPointer(rebasing: bytes[lt..<scan]))
                        switch handle(.element(view)) {
                        case .proceed: break
                        case .restart: depth = 0
                        case .stop:
                            break scanning
                        }
                        continue
                    }
                    elementStart = lt
                }
                if !empty { depth += 1 }
            }
        }
        // Keep the unconsumed tail; offsets become relative to the new reader index.
        self.buffer.moveReaderIndex(forwardBy: consumed)
        self.depth = depth
        self.elementStart = elementStart >= 0 ? elementStart - consumed : -1
        self.scanOffset = max(0, scan - consumed)
        if self.buffer.readableBytes == 0 {
            self.buffer.clear()
            self.scanOffset = 0
        } else if self.buffer.readerIndex > 16 * 1024 {
            self.buffer.discardReadBytes()
        }
        return valid
    }

    // MARK: - Scanning

    @inline(__always)
    static func find(_ byte: UInt8, in bytes: UnsafeRawBufferPointer, from: Int) -> Int? {
        var index = from
        let count = bytes.count
        while index < count {
            if bytes[index] == byte { return index }
            index += 1
        }
        return nil
    }

    static func find(_ needle: StaticString, in bytes: UnsafeRawBufferPointer, from: Int) -> Int? {
        let length = needle.utf8CodeUnitCount
        return needle.withUTF8Buffer { pattern -> Int? in
            var index = from
            while index + length <= bytes.count {
                guard let candidate = Self.find(pattern[0], in: bytes, from: index) else { return nil }
                if candidate + length > bytes.count { return nil }
                var matched = 1
                while matched < length && bytes[candidate + matched] == pattern[matched] { matched += 1 }
                if matched == length { return candidate }
                index = candidate + 1
            }
            return nil
        }
    }

    /// The index of the `>` closing a start tag that begins before `from`, skipping quoted attribute values.
    @inline(__always)
    static func endOfStartTag(in bytes: UnsafeRawBufferPointer, from: Int) -> Int? {
        var index = from
        var quote: UInt8 = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            if quote != 0 {
                if byte == quote { quote = 0 }
            } else if byte == UInt8(ascii: ">") {
                return index
            } else if byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\"") {
                quote = byte
            }
            index += 1
        }
        return nil
    }
}
