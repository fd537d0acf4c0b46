import Foundation

/// An XMPP address (RFC 7622): `[localpart@]domainpart[/resourcepart]`.
///
/// ```
/// weeklysync@muc.meet.jitsi/3f9a1c7e
/// [tenant]room@muc.meet.jitsi            (Jitsi's tenant form: `[` and `]` in the localpart)
/// focus.meet.jitsi/abc@meet.jitsi/res    (client_proxy: `/` and `@` inside the resourcepart)
/// ```
///
/// Parts are stored prepared: the localpart and domainpart lower-cased (RFC 7622 §3.2.2, §3.3.2),
/// every part NFC-normalised, each at most 1023 bytes (§3.1). The localpart accepts the characters
/// Jitsi puts in room names (`%`, `[`, `]`, `~`, §8 of the Jitsi requirements) and refuses the ones
/// RFC 7622 §3.3.1 excludes (`" & ' / : < > @`, spaces and controls).
public struct JID: Sendable, Hashable, CustomStringConvertible {
    /// The prepared parts and their hash, in one object that every copy shares: a JID is copied into each stanza,
    /// occupant, delivery and table that holds it, and a copy of three strings went through the runtime's generic
    /// value witnesses (~150 instructions, with three retains and later three releases) where a reference costs one
    /// retain. Profiles counted ~100 JID copies a Jitsi join.
    private final class Parts: Sendable {
        let localpart: String?
        let domainpart: String
        let resourcepart: String?
        /// The parts' hash, computed once when the JID is made: a JID is made once and looked up in the session
        /// registry and the rooms' tables many times (a room's broadcast, once per recipient), and hashing its
        /// strings each time cost more than the lookups' other work. Hashes the localpart and resourcepart of a full
        /// JID, not the domain every session shares; a JID without a resource hashes its domainpart, so that
        /// components stay apart.
        let hash: Int

        init(_ localpart: String?, _ domainpart: String, _ resourcepart: String?) {
            self.localpart = localpart
            self.domainpart = domainpart
            self.resourcepart = resourcepart
            self.hash = JID.hash(localpart, domainpart, resourcepart)
        }
    }

    private let parts: Parts

    public var localpart: String? { self.parts.localpart }
    public var domainpart: String { self.parts.domainpart }
    public var resourcepart: String? { self.parts.resourcepart }

    /// RFC 7622 §3.1: each part is 1 to 1023 bytes.
    public static let maximumPartBytes = 1023

    /// Parses and prepares a JID string; throws `JIDError` describing what is wrong.
    public init(_ string: some StringProtocol) throws(JIDError) {
        // RFC 7622 §3.1: the first "/" ends the domain, and an "@" before it ends the localpart. Found among the
        // UTF-8 bytes (code points, as the RFC says), not among Characters, whose segmentation is far dearer.
        let s = Substring(string)
        let (slashOffset, atOffset) = JID.separators(in: s)
        var rest = s
        var resource: Substring? = nil
        if let slashOffset {
            let slash = s.utf8.index(s.utf8.startIndex, offsetBy: slashOffset)
            resource = s[s.utf8.index(after: slash)...]
            rest = s[..<slash]
        }
        var local: Substring? = nil
        if let atOffset {
            let at = s.utf8.index(s.utf8.startIndex, offsetBy: atOffset)
            local = rest[..<at]
            rest = rest[rest.utf8.index(after: at)...]
        }
        try self.init(
            localpart: local.map(String.init),
            domainpart: String(rest),
            resourcepart: resource.map(String.init)
        )
    }

    /// The byte offsets of the first "/" and of the first "@" before it, found with `memchr` in the string's
    /// contiguous UTF-8 (a generic search of a substring's bytes cost ~700 instructions a JID).
    private static func separators(in s: Substring) -> (slash: Int?, at: Int?) {
        let found = s.utf8.withContiguousStorageIfAvailable { bytes -> (slash: Int?, at: Int?) in
            guard let base = bytes.baseAddress else { return (nil, nil) }
            let start = UnsafeRawPointer(base)
            let slash = memchr(start, 0x2F, bytes.count).map { UnsafeRawPointer($0) - start }
            let at = memchr(start, 0x40, slash ?? bytes.count).map { UnsafeRawPointer($0) - start }
            return (slash, at)
        }
        if let found { return found }
        let utf8 = s.utf8
        let slash = utf8.firstIndex(of: UInt8(ascii: "/"))
        let at = utf8[..<(slash ?? utf8.endIndex)].firstIndex(of: UInt8(ascii: "@"))
        return (
            slash.map { utf8.distance(from: utf8.startIndex, to: $0) },
            at.map { utf8.distance(from: utf8.startIndex, to: $0) }
        )
    }

    /// Builds a JID from parts, preparing and validating each.
    public init(localpart: String?, domainpart: String, resourcepart: String?) throws(JIDError) {
        let local = try localpart.map { p throws(JIDError) in try JID.prepareLocalpart(p) }
        let domain = try JID.prepareDomainpart(domainpart)
        let resource = try resourcepart.map { p throws(JIDError) in try JID.prepareResourcepart(p) }
        self.parts = Parts(local, domain, resource)
    }

    /// Builds a JID from parts that are already prepared (used for server-made values).
    init(unchecked localpart: String?, domainpart: String, resourcepart: String?) {
        self.parts = Parts(localpart, domainpart, resourcepart)
    }

    /// The same object (a copy of one JID) at once; otherwise the hashes first (different ones settle most probes of
    /// a table at once), then part by part, the resource first (it tells most session addresses apart). Written out
    /// because the synthesized comparison copied each optional part through the runtime's generic witnesses, and
    /// this runs for every probe of the session registry and the rooms.
    public static func == (a: JID, b: JID) -> Bool {
        let x = a.parts
        let y = b.parts
        if x === y { return true }
        return x.hash == y.hash && JID.same(x.resourcepart, y.resourcepart) && JID.same(x.localpart, y.localpart)
            && x.domainpart == y.domainpart
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.parts.hash)
    }

    fileprivate static func hash(_ localpart: String?, _ domainpart: String, _ resourcepart: String?) -> Int {
        var hasher = Hasher()
        hasher.combine(localpart)
        if let resourcepart {
            hasher.combine(resourcepart)
        } else {
            hasher.combine(domainpart)
        }
        return hasher.finalize()
    }

    private static func same(_ a: String?, _ b: String?) -> Bool {
        guard let a else { return b == nil }
        guard let b else { return false }
        return a == b
    }

    /// The bare JID (`localpart@domainpart`): itself when it has no resource, without hashing its parts again.
    public var bare: JID {
        if self.resourcepart == nil { return self }
        return JID(unchecked: self.localpart, domainpart: self.domainpart, resourcepart: nil)
    }
    /// The domain alone.
    public var domain: JID { JID(unchecked: nil, domainpart: self.domainpart, resourcepart: nil) }
    public var isBare: Bool { self.resourcepart == nil }
    public var isFull: Bool { self.resourcepart != nil }

    /// This JID with another resource (validated).
    public func with(resource: String) throws(JIDError) -> JID {
        JID(unchecked: self.localpart, domainpart: self.domainpart, resourcepart: try JID.prepareResourcepart(resource))
    }

    /// `localpart@domainpart/resourcepart` (RFC 7622 §3.1), written as UTF-8 into one allocation: it is written
    /// into the `from` and `to` of stanzas built as elements. (Appending the parts to a string cost ~2,000
    /// instructions a JID.)
    public var description: String {
        guard self.localpart != nil || self.resourcepart != nil else { return self.domainpart }
        var local = self.localpart ?? ""
        var domain = self.domainpart
        var resource = self.resourcepart ?? ""
        let count =
            (self.localpart == nil ? 0 : local.utf8.count + 1) + domain.utf8.count
            + (self.resourcepart == nil ? 0 : resource.utf8.count + 1)
        let hasLocal = self.localpart != nil
        let hasResource = self.resourcepart != nil
        return String(unsafeUninitializedCapacity: count) { buffer in
            var index = 0
            func copy(_ part: UnsafeBufferPointer<UInt8>) {
                guard let base = part.baseAddress, part.count > 0, let target = buffer.baseAddress else { return }
                (target + index).update(from: base, count: part.count)
                index += part.count
            }
            if hasLocal {
                local.withUTF8(copy)
                buffer[index] = UInt8(ascii: "@")
                index += 1
            }
            domain.withUTF8(copy)
            if hasResource {
                buffer[index] = UInt8(ascii: "/")
                index += 1
                resource.withUTF8(copy)
            }
            return index
        }
    }

    // MARK: - Preparation (RFC 7622 §3)

    static func prepareLocalpart(_ raw: String) throws(JIDError) -> String {
        guard !raw.isEmpty else { throw .emptyLocalpart }
        if let fast = try asciiFastPath(
            raw,
            forbidden: localpartForbidden,
            tooLong: .localpartTooLong,
            part: "localpart"
        ) {
            return fast
        }
        let isASCII = raw.utf8.allSatisfy { $0 < 0x80 }
        let prepared = isASCII ? raw.lowercased() : raw.precomposedStringWithCanonicalMapping.lowercased()
        guard prepared.utf8.count <= maximumPartBytes else { throw .localpartTooLong }
        for scalar in prepared.unicodeScalars {
            switch scalar {
            case "\"", "&", "'", "/", ":", "<", ">", "@": throw .invalidCharacter(part: "localpart")
            default:
                if scalar.value <= 0x20 || scalar.value == 0x7F || isDisallowed(scalar) {
                    throw .invalidCharacter(part: "localpart")
                }
            }
        }
        return prepared
    }

    static func prepareDomainpart(_ raw: String) throws(JIDError) -> String {
        if let plain = asciiHostName(raw) { return plain }
        var d = raw
        if d.hasSuffix(".") { d.removeLast() }  // RFC 7622 §3.2: a trailing dot is removed
        guard !d.isEmpty else { throw .emptyDomainpart }
        if d.hasPrefix("[") {  // IPv6 literal (RFC 7622 §3.2.1)
            guard d.hasSuffix("]"), d.count > 2,
                d.dropFirst().dropLast().allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." })
            else { throw .invalidCharacter(part: "domainpart") }
            guard d.utf8.count <= maximumPartBytes else { throw .domainpartTooLong }
            return d.lowercased()
        }
        let isASCII = d.utf8.allSatisfy { $0 < 0x80 }
        let hasUppercase = d.utf8.contains { $0 >= 0x41 && $0 <= 0x5A }
        let prepared =
            isASCII ? (hasUppercase ? d.lowercased() : d) : d.precomposedStringWithCanonicalMapping.lowercased()
        guard prepared.utf8.count <= maximumPartBytes else { throw .domainpartTooLong }
        for label in prepared.split(separator: ".", omittingEmptySubsequences: false) {
            guard !label.isEmpty, label.utf8.count <= 63 else { throw .invalidCharacter(part: "domainpart") }
            for scalar in label.unicodeScalars {
                let ok: Bool
                if scalar.isASCII {
                    let c = UInt8(scalar.value)
                    ok = (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x5F
                } else {
                    ok = !isDisallowed(scalar) && !scalar.properties.isWhitespace
                }
                guard ok else { throw .invalidCharacter(part: "domainpart") }
            }
        }
        return prepared
    }

    static func prepareResourcepart(_ raw: String) throws(JIDError) -> String {
        guard !raw.isEmpty else { throw .emptyResourcepart }
        // ASCII without controls needs no preparation (the common case: Jitsi's nicks and resources).
        if raw.utf8.count <= maximumPartBytes, raw.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return raw }
        let isASCII = raw.utf8.allSatisfy { $0 < 0x80 }
        let prepared = isASCII ? raw : raw.precomposedStringWithCanonicalMapping
        guard prepared.utf8.count <= maximumPartBytes else { throw .resourcepartTooLong }
        for scalar in prepared.unicodeScalars
        where scalar.value < 0x20 || scalar.value == 0x7F || isDisallowed(scalar) {
            throw .invalidCharacter(part: "resourcepart")
        }
        return prepared
    }

    /// Bytes a localpart may not contain (RFC 7622 §3.3.1): `" & ' / : < > @`, space, controls, DEL.
    private static let localpartForbidden: [Bool] = {
        var table = [Bool](repeating: false, count: 128)
        for b in 0..<0x21 { table[b] = true }
        table[0x7F] = true
        for c in "\"&'/:<>@".utf8 { table[Int(c)] = true }
        return table
    }()

    /// An ASCII part needs only lower-casing and the byte checks; nil when the part is not ASCII.
    private static func asciiFastPath(
        _ raw: String,
        forbidden: [Bool],
        tooLong: JIDError,
        part: String
    ) throws(JIDError) -> String? {
        var hasUppercase = false
        for byte in raw.utf8 {
            guard byte < 0x80 else { return nil }
            if forbidden[Int(byte)] { throw .invalidCharacter(part: part) }
            if byte >= 0x41 && byte <= 0x5A { hasUppercase = true }
        }
        guard raw.utf8.count <= maximumPartBytes else { throw tooLong }
        return hasUppercase ? raw.lowercased() : raw
    }

    /// The common domainpart, an ASCII host name whose labels are 1 to 63 bytes of letters, digits, `-` and `_`,
    /// checked on its bytes and lower-cased. Nil for anything else (empty, a trailing dot, an IPv6 literal,
    /// non-ASCII, a byte to refuse), which the full preparation handles and judges.
    private static func asciiHostName(_ raw: String) -> String? {
        var hasUppercase = false
        var labelLength = 0
        var count = 0
        for byte in raw.utf8 {
            count += 1
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"),
                UInt8(ascii: "_"):
                labelLength += 1
            case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                hasUppercase = true
                labelLength += 1
            case UInt8(ascii: "."):
                guard labelLength > 0 else { return nil }
                labelLength = 0
            default:
                return nil
            }
            guard labelLength <= 63, count <= maximumPartBytes else { return nil }
        }
        guard labelLength > 0 else { return nil }
        return hasUppercase ? raw.lowercased() : raw
    }

    /// Controls, unassigned-ish and non-characters that PRECIS classes disallow.
    private static func isDisallowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator:
            return true
        default:
            return scalar.properties.isNoncharacterCodePoint
        }
    }
}

/// Why a string is not a JID. Maps to the `jid-malformed` stanza error (RFC 6120 §8.3.3.8).
public enum JIDError: Error, Sendable, Hashable, CustomStringConvertible {
    case emptyLocalpart, emptyDomainpart, emptyResourcepart
    case localpartTooLong, domainpartTooLong, resourcepartTooLong
    case invalidCharacter(part: String)

    public var description: String {
        switch self {
        case .emptyLocalpart: "empty localpart"
        case .emptyDomainpart: "empty domainpart"
        case .emptyResourcepart: "empty resourcepart"
        case .localpartTooLong: "localpart longer than 1023 bytes"
        case .domainpartTooLong: "domainpart longer than 1023 bytes"
        case .resourcepartTooLong: "resourcepart longer than 1023 bytes"
        case .invalidCharacter(let part): "invalid character in \(part)"
        }
    }
}

extension JID: Codable {
    public init(from decoder: any Decoder) throws {
        let string = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(string) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(error)"))
        }
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(self.description)
    }
}
