import Foundation
import ParleyCore

/// The control API's JSON helpers (RFC 8259 text through `JSONValue`).
enum ControlJSON {
    /// A JSON number that is a whole number in `Int`'s range, or nil.
    static func integer(_ value: JSONValue?) -> Int? {
        guard let number = value?.number, number.rounded() == number, abs(number) < 1e15 else { return nil }
        return Int(number)
    }

    /// A request body as a JSON value: an empty body is an empty object.
    static func body(_ bytes: [UInt8]) throws(ControlRequestError) -> JSONValue {
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return .object([:]) }
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes)) else {
            throw ControlRequestError("the body is not JSON")
        }
        return value
    }
}
