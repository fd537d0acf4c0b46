import NIOCore
import ParleyCore

/// A fault the control API injects into routing for a while: stanzas that match are dropped, delayed, or answered
/// `service-unavailable` (RFC 6120 §8.3.3.19) as if their destination were down. The last one makes the focus proxy
/// or a MUC domain unavailable, which is what Jicofo and lib-jitsi-meet see when Prosody's component is gone.
///
/// ```json
/// {"action": "delay", "delay_ms": 800, "seconds": 10, "match": {"kind": "presence", "to": "muc.meet.jitsi"}}
/// {"action": "service-unavailable", "seconds": 5, "match": {"to": "focus.meet.jitsi"}}
/// ```
public struct StanzaFault: Sendable, Hashable {
    public enum Action: Sendable, Hashable {
        /// The stanza vanishes, as on a lossy link.
        case drop
        /// The stanza is routed this much later (its sender's later stanzas may overtake it).
        case delay(milliseconds: Int)
        /// The stanza is answered `service-unavailable` (an error is never answered, RFC 6120 §8.3.1).
        case serviceUnavailable

        var name: String {
            switch self {
            case .drop: "drop"
            case .delay: "delay"
            case .serviceUnavailable: "service-unavailable"
            }
        }
    }

    /// The rule's number, for `DELETE /control/faults/{id}`.
    public var id: Int
    public var action: Action
    public var match: StanzaMatch
    /// When the rule stops applying.
    public var expires: NIODeadline

    public init(id: Int, action: Action, match: StanzaMatch, expires: NIODeadline) {
        self.id = id
        self.action = action
        self.match = match
        self.expires = expires
    }

    /// The longest a rule may last: a test that forgets to clear its faults does not poison the next hour.
    public static let maximumSeconds = 3600
    /// The longest delay.
    public static let maximumDelayMilliseconds = 60_000

    /// A rule from the request body of `POST /control/faults`.
    public init(json: JSONValue, id: Int, now: NIODeadline) throws(ControlRequestError) {
        guard case .object(let object) = json else { throw ControlRequestError("the body must be a JSON object") }
        let allowed: Set<String> = ["action", "match", "seconds", "delay_ms"]
        if let unknown = object.keys.filter({ !allowed.contains($0) }).sorted().first {
            throw ControlRequestError("unknown key '\(unknown)' (allowed: action, match, seconds, delay_ms)")
        }
        switch object["action"]?.string {
        case "drop": self.action = .drop
        case "delay":
            guard let ms = ControlJSON.integer(object["delay_ms"]), (1...Self.maximumDelayMilliseconds).contains(ms)
            else {
                throw ControlRequestError("delay needs delay_ms between 1 and \(Self.maximumDelayMilliseconds)")
            }
            self.action = .delay(milliseconds: ms)
        case "service-unavailable": self.action = .serviceUnavailable
        default:
            throw ControlRequestError("action must be drop, delay or service-unavailable")
        }
        if case .delay = self.action {
        } else if object["delay_ms"] != nil {
            throw ControlRequestError("delay_ms is only for the delay action")
        }
        var fields: [String: String] = [:]
        switch object["match"] {
        case nil: break
        case .object(let members)?:
            for (key, value) in members {
                guard let text = value.string else { throw ControlRequestError("match.\(key) must be a string") }
                fields[key] = text
            }
        default: throw ControlRequestError("match must be an object")
        }
        self.match = try StanzaMatch(fields: fields)
        let seconds = object["seconds"] == nil ? 30 : ControlJSON.integer(object["seconds"])
        guard let seconds, (1...Self.maximumSeconds).contains(seconds) else {
            throw ControlRequestError("seconds must be a whole number between 1 and \(Self.maximumSeconds)")
        }
        self.id = id
        self.expires = now + .seconds(Int64(seconds))
    }

    /// The rule as JSON, with the seconds it has left at `now`.
    public func json(now: NIODeadline) -> JSONValue {
        var object: [String: JSONValue] = [
            "id": .number(Double(self.id)),
            "action": .string(self.action.name),
            "match": self.match.json,
            "seconds_left": .number(Double(max(0, (self.expires - now).nanoseconds / 1_000_000)) / 1000),
        ]
        if case .delay(let ms) = self.action { object["delay_ms"] = .number(Double(ms)) }
        return .object(object)
    }
}
