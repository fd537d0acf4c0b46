import ParleyServer
import Testing

@Suite("Control API configuration")
struct ControlConfigurationTests {
    private func parse(_ yaml: String) -> ConfigurationLoader.Outcome {
        ConfigurationLoader.parse(yaml: yaml, path: "c.yaml", environment: [:])
    }

    @Test("off by default; on with a token or a token variable, on its own port")
    func enabled() throws {
        #expect(self.parse("log_level: info\n").configuration?.control.enabled == false)
        let literal = try #require(
            self.parse("control:\n  enabled: true\n  port: 0\n  token: 0123456789abcdef\n").configuration
        )
        #expect(literal.control.enabled && literal.control.port == 0)
        #expect(literal.control.resolvedToken(environment: [:]) == "0123456789abcdef")
        let variable = try #require(
            self.parse("control: {enabled: true, token_env: PARLEY_CONTROL_TOKEN}\n").configuration
        )
        #expect(variable.control.resolvedToken(environment: ["PARLEY_CONTROL_TOKEN": "s3cret"]) == "s3cret")
        #expect(variable.control.resolvedToken(environment: ["PARLEY_CONTROL_TOKEN": ""]) == nil)
    }

    @Test("enabled without a token, a short token, an unknown key: errors at their line")
    func refused() {
        let missing = self.parse("control:\n  enabled: true\n")
        #expect(missing.configuration == nil)
        #expect(self.errors(missing) == ["control.enabled"])
        #expect(missing.issues.first { $0.isError }?.line == 2)
        #expect(self.errors(self.parse("control: {enabled: true, token: short}\n")) == ["control.token"])
        #expect(self.errors(self.parse("control: {enabled: false, host: 0.0.0.0}\n")) == ["control.host"])
    }

    private func errors(_ outcome: ConfigurationLoader.Outcome) -> [String] {
        outcome.issues.filter(\.isError).map(\.keyPath)
    }
}
