import NIOHTTP1
import ParleyCore

/// An answer of an operator endpoint: status, body and its type.
struct OperatorResponse: Sendable {
    var status: HTTPResponseStatus
    var contentType: String
    var body: [UInt8]

    static func text(_ status: HTTPResponseStatus, _ text: String) -> OperatorResponse {
        OperatorResponse(status: status, contentType: "text/plain; charset=utf-8", body: Array(text.utf8))
    }

    static func json(_ status: HTTPResponseStatus, _ value: JSONValue) -> OperatorResponse {
        OperatorResponse(
            status: status,
            contentType: "application/json; charset=utf-8",
            body: Array(JSONValue.text(value).utf8)
        )
    }
}
