import ParleyCore

/// Tenants, as Jitsi's `mod_muc_domain_mapper` makes them: a conference at `https://meet.jitsi/acme/standup` joins
/// `standup@muc.acme.meet.jitsi`, a MUC domain that does not exist. Its addresses are mapped to the real room
/// `[acme]standup@muc.meet.jitsi` on the way in and back on the way out, so Jicofo and the bridges only ever see
/// the real form.
///
/// ```
/// virtual  standup@muc.acme.meet.jitsi/alice   ⇄   real  [acme]standup@muc.meet.jitsi/alice
/// virtual  muc.acme.meet.jitsi                 →   real  muc.meet.jitsi   (a room-less IQ: disco#info)
/// ```
///
/// The virtual domain is `<prefix>.<tenant>.<base>` (`muc_mapper_domain_prefix`, `muc_mapper_domain_base`), with a
/// tenant of one label. Pure: the session that uses it keeps what it needs to map answers back
/// (`TenantAddressing`).
public struct MUCDomainMapper: Sendable, Hashable {
    /// `muc_mapper_domain_base`: the main domain, `meet.jitsi`.
    public let base: String
    /// `muc_mapper_domain_prefix`: the first label of the real MUC domain, `muc` (docker) or `conference` (Debian).
    public let prefix: String

    /// `muc` is the real MUC domain; it must be `<prefix>.<base>` (one label before `base`). Nil otherwise.
    public init?(base: String, muc: String) {
        let base = base.lowercased()
        let muc = muc.lowercased()
        guard !base.isEmpty, muc.hasSuffix("." + base) else { return nil }
        let prefix = muc.dropLast(base.count + 1)
        guard !prefix.isEmpty, !prefix.contains(".") else { return nil }
        self.base = base
        self.prefix = String(prefix)
    }

    /// The real MUC domain, `muc.meet.jitsi` (`muc_mapper_domain`).
    public var mucDomain: String { "\(self.prefix).\(self.base)" }

    /// The tenant a virtual MUC domain names: `muc.acme.meet.jitsi` → `acme`. Nil for any other domain, the real
    /// MUC domain included. Cheap enough for every stanza a client sends: two byte comparisons first.
    public func tenant(ofVirtualDomain domain: String) -> Substring? {
        let bytes = domain.utf8
        let prefixBytes = self.prefix.utf8.count
        let baseBytes = self.base.utf8.count
        guard bytes.count > prefixBytes + baseBytes + 2 else { return nil }
        let tenantStart = bytes.index(bytes.startIndex, offsetBy: prefixBytes + 1)
        let tenantEnd = bytes.index(bytes.endIndex, offsetBy: -(baseBytes + 1))
        guard bytes[bytes.index(before: tenantStart)] == UInt8(ascii: "."), bytes[tenantEnd] == UInt8(ascii: "."),
            bytes.starts(with: self.prefix.utf8), bytes[bytes.index(after: tenantEnd)...].elementsEqual(self.base.utf8)
        else { return nil }
        let tenant = domain[tenantStart..<tenantEnd]
        guard !tenant.utf8.contains(UInt8(ascii: ".")) else { return nil }
        return tenant
    }

    /// What the mapper makes of an address a client sent.
    public enum Inbound: Sendable, Equatable {
        /// Not a tenant's address: left as it is.
        case unchanged
        /// The real address: `[tenant]room@muc.meet.jitsi/nick`, or `muc.meet.jitsi` for the domain alone.
        case real(JID)
        /// A tenant's address with no real form: `[tenant]room` is longer than a JID's localpart may be
        /// (RFC 7622 §3.3: 1023 bytes).
        case unrepresentable
    }

    /// Virtual to real: `room@muc.acme.meet.jitsi/nick` → `[acme]room@muc.meet.jitsi/nick`.
    public func real(_ address: JID) -> Inbound {
        guard let tenant = self.tenant(ofVirtualDomain: address.domainpart) else { return .unchanged }
        let localpart = address.localpart.map { "[\(tenant)]\($0)" }
        guard let real = try? JID(localpart: localpart, domainpart: self.mucDomain, resourcepart: address.resourcepart)
        else { return .unrepresentable }
        return .real(real)
    }

    /// Real to virtual: `[acme]room@muc.meet.jitsi/nick` → `room@muc.acme.meet.jitsi/nick`. Nil for any address that
    /// is not a tenant's room on the real MUC domain, or whose tenant cannot be a domain label.
    public func virtual(_ address: JID) -> JID? {
        guard address.domainpart == self.mucDomain, let localpart = address.localpart,
            localpart.utf8.first == UInt8(ascii: "["), let close = localpart.firstIndex(of: "]")
        else { return nil }
        let tenant = localpart[localpart.index(after: localpart.startIndex)..<close]
        let room = localpart[localpart.index(after: close)...]
        guard !tenant.isEmpty, !room.isEmpty, !tenant.contains(".") else { return nil }
        return try? JID(
            localpart: String(room),
            domainpart: "\(self.prefix).\(tenant).\(self.base)",
            resourcepart: address.resourcepart
        )
    }
}
