/// Short byte strings stored back to back, so a detector can compare a name against each of them without
/// retaining one array per entry (which, for 80 mail providers, cost more than all the rules together).
struct ByteStringTable: Sendable {
    /// Every entry's bytes, back to back.
    let bytes: [UInt8]
    /// Where each entry lies in `bytes`, in the order given.
    let ranges: [Range<Int>]

    init(_ entries: [[UInt8]]) {
        var bytes: [UInt8] = []
        var ranges: [Range<Int>] = []
        for entry in entries {
            ranges.append(bytes.count..<(bytes.count + entry.count))
            bytes.append(contentsOf: entry)
        }
        self.bytes = bytes
        self.ranges = ranges
    }

    var count: Int { self.ranges.count }

    /// The entry at `index` as a string (for messages).
    func string(at index: Int) -> String {
        String(decoding: self.bytes[self.ranges[index]], as: UTF8.self)
    }

    func length(at index: Int) -> Int {
        self.ranges[index].count
    }

    /// The index of the first entry from `first` on that `name[..<end]` ends with, or nil. Callers loop from the
    /// returned index + 1 to see the next match; no closure, so debug builds stay fast too.
    func nextSuffix(of name: UnsafeBufferPointer<UInt8>, endingAt end: Int, from first: Int = 0) -> Int? {
        guard end <= name.count, first >= 0 else { return nil }
        return self.bytes.withUnsafeBufferPointer { bytes in
            self.ranges.withUnsafeBufferPointer { ranges in
                var index = first
                while index < ranges.count {
                    let range = ranges[index]
                    if range.count <= end, Self.equal(name, from: end - range.count, bytes, range) { return index }
                    index += 1
                }
                return nil
            }
        }
    }

    private static func equal(
        _ name: UnsafeBufferPointer<UInt8>,
        from start: Int,
        _ bytes: UnsafeBufferPointer<UInt8>,
        _ range: Range<Int>
    ) -> Bool {
        var offset = 0
        while offset < range.count {
            if name[start + offset] != bytes[range.lowerBound + offset] { return false }
            offset += 1
        }
        return true
    }
}
