/// Finds XMPP addresses in a normalised room name: an address on one of this server's domains, a room name
/// that ends with (or is) such a domain, and anything with the shape of a full JID (RFC 7622 §3).
///
/// ```
/// alice@meet.jitsi            (from alice%40meet.jitsi)   address on a local domain
/// focusauth.meet.jitsi        (focus@auth.meet.jitsi with `@` stripped by Jitsi's client)
/// alice@example.org/phone     full JID: local@domain/resource
/// meet.jitsi                  the server's own domain
/// ```
///
/// A multi-label domain (`meet.jitsi`) matches even glued to the text before it, because Jitsi's client removes
/// the `@`. A single-label domain (`localhost`) needs a `.` or `@` before it, so `mylocalhost` passes.
struct XMPPAddressDetector: Sendable {
    /// The local domains, lower-cased, without a trailing dot, longest first (the most specific is reported).
    let domains: ByteStringTable
    /// Whether each domain has a dot.
    let isMultiLabel: [Bool]

    init(localDomains: [String]) {
        var seen = Set<[UInt8]>()
        var domains: [[UInt8]] = []
        for domain in localDomains {
            var bytes = Array(domain.lowercased().utf8)
            while bytes.last == RoomNameBytes.dot { bytes.removeLast() }
            guard !bytes.isEmpty, seen.insert(bytes).inserted else { continue }
            domains.append(bytes)
        }
        let sorted = domains.sorted { $0.count > $1.count }
        self.domains = ByteStringTable(sorted)
        self.isMultiLabel = sorted.map { $0.contains(RoomNameBytes.dot) }
    }

    func detect(_ name: UnsafeBufferPointer<UInt8>) -> RoomNameRule? {
        // `local@domain…`: an address on a local domain, or the full-JID shape on any domain.
        var at = 1
        while at + 1 < name.count {
            defer { at += 1 }
            guard name[at] == RoomNameBytes.at else { continue }
            var end = at + 1
            while end < name.count, name[end] != RoomNameBytes.slash { end += 1 }
            // The domain after `@` is a local domain or a subdomain of one.
            var next = 0
            while let index = self.domains.nextSuffix(of: name, endingAt: end, from: next) {
                let start = end - self.domains.length(at: index)
                if start == at + 1 || (start > at + 1 && name[start - 1] == RoomNameBytes.dot) {
                    return .addressOnLocalDomain(self.domains.string(at: index))
                }
                next = index + 1
            }
            if end > at + 1, end + 1 < name.count { return .fullJID }
        }
        // A local domain at the end of the name, or before a `/resource`.
        var end = 0
        while end < name.count {
            if name[end] == RoomNameBytes.slash, let rule = self.localDomain(in: name, endingAt: end) { return rule }
            end += 1
        }
        return self.localDomain(in: name, endingAt: name.count)
    }

    private func localDomain(in name: UnsafeBufferPointer<UInt8>, endingAt end: Int) -> RoomNameRule? {
        var next = 0
        while let index = self.domains.nextSuffix(of: name, endingAt: end, from: next) {
            next = index + 1
            let start = end - self.domains.length(at: index)
            if start == 0 { return .localDomain(self.domains.string(at: index)) }
            // A multi-label domain may be glued to what precedes it (`@` stripped); a single label may not.
            let before = name[start - 1]
            if before == RoomNameBytes.dot || before == RoomNameBytes.at || self.isMultiLabel[index] {
                return .localDomainSuffix(self.domains.string(at: index))
            }
        }
        return nil
    }
}
