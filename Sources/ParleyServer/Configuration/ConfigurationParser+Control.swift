import Yams

extension ConfigurationParser {
    static let controlKeys = ["enabled", "port", "token", "token_env"]

    /// `control`: the test control API; a token is required once it is enabled.
    func parseControl(_ node: Node, keyPath: String) -> ServerConfiguration.Control {
        var control = ServerConfiguration.Control()
        guard let fields = self.fields(of: node, keyPath: keyPath, allowed: Self.controlKeys) else { return control }
        self.assign(fields, "enabled", to: &control.enabled, self.bool)
        self.assign(fields, "port", to: &control.port, self.port)
        self.assign(fields, "token", to: &control.token, self.nullableString)
        self.assign(fields, "token_env", to: &control.tokenEnvironment, self.nullableString)
        if control.enabled, control.token == nil, control.tokenEnvironment == nil {
            self.error(
                "the control API needs a bearer token: set control.token or control.token_env",
                at: fields["enabled"],
                keyPath: fields.path("enabled")
            )
        }
        if let token = control.token, token.count < 16 {
            self.error(
                "control.token is too short to guess-proof (16 characters at least)",
                at: fields["token"],
                keyPath: fields.path("token")
            )
        }
        return control
    }
}
