import Yams

/// The `tenants` section (`ServerConfiguration.Tenants`).
extension ConfigurationParser {
    static let tenantsKeys = ["base", "muc"]

    /// `.some(nil)` for `tenants: null`; nil when the section has errors (already reported).
    func parseTenants(
        _ node: Node,
        keyPath: String,
        configuration: ServerConfiguration
    ) -> ServerConfiguration.Tenants?? {
        if self.isNull(node) { return .some(nil) }
        guard let fields = self.fields(of: node, keyPath: keyPath, allowed: Self.tenantsKeys) else { return nil }
        var tenants = ServerConfiguration.jitsiTenants
        self.assign(fields, "base", to: &tenants.base, self.domain)
        self.assign(fields, "muc", to: &tenants.muc, self.domain)
        if tenants.mapper == nil {
            self.error(
                "tenants.muc must be one label followed by tenants.base (muc.\(tenants.base)), not \(tenants.muc)",
                at: fields["muc"] ?? node,
                keyPath: fields.path("muc")
            )
            return nil
        }
        if !configuration.muc.contains(where: { $0.domain == tenants.muc }) {
            self.error(
                "tenants.muc: \(tenants.muc) is not one of the muc services",
                at: fields["muc"] ?? node,
                keyPath: fields.path("muc")
            )
            return nil
        }
        return .some(tenants)
    }
}
