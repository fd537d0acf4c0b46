import ParleyCore

extension ServerConfiguration {
    /// `tenants`: Jitsi's `mod_muc_domain_mapper` (docker-jitsi-meet and Debian load it on the main VirtualHost).
    /// A web client at `https://meet.jitsi/acme/standup` joins `standup@muc.acme.meet.jitsi`; Parley maps it to the
    /// real room `[acme]standup@muc.meet.jitsi` and back (`MUCDomainMapper`). Null turns it off: virtual tenant
    /// domains are then remote domains, refused.
    ///
    /// ```yaml
    /// tenants:
    ///   base: meet.jitsi       # muc_mapper_domain_base
    ///   muc: muc.meet.jitsi    # the real MUC: muc_mapper_domain_prefix "muc" + "." + base
    /// ```
    public struct Tenants: Sendable, Equatable {
        /// `base`: the main domain the tenants' virtual MUC domains end with.
        public var base: String
        /// `muc`: the MUC service tenants' rooms live on, one label before `base`.
        public var muc: String

        public init(base: String, muc: String) {
            self.base = base
            self.muc = muc
        }

        /// What a file without a `tenants` section gets: the first conference MUC (`focus_lock`) that is one label
        /// before a host's domain (`muc.meet.jitsi` for `meet.jitsi`, `conference.example.com` for `example.com`),
        /// as Jitsi's installers set `muc_mapper_domain_base` to the main domain; nil when there is none.
        static func implied(by configuration: ServerConfiguration) -> Tenants? {
            for muc in configuration.muc where muc.focusLock {
                for host in configuration.hosts {
                    let tenants = Tenants(base: host.domain, muc: muc.domain)
                    if tenants.mapper != nil { return tenants }
                }
            }
            return nil
        }

        /// The mapper, or nil when `muc` is not one label before `base`.
        public var mapper: MUCDomainMapper? { MUCDomainMapper(base: self.base, muc: self.muc) }
    }

    /// The preset's tenants: docker's `muc_mapper_domain_base = XMPP_DOMAIN`, prefix `muc`.
    public static let jitsiTenants = Tenants(base: "meet.jitsi", muc: "muc.meet.jitsi")
}
