import ParleyCore
import ParleyXML

/// Encodes stream-level elements (`<stream:features>`, `<stream:error>`) with the conventional `stream:`
/// prefix, which some clients match literally. Every transport writes them this way.
public enum StreamElementEncoding {
    /// `element` in the streams namespace as `<stream:name>…</stream:name>`. `declarePrefix` adds
    /// `xmlns:stream` (a WebSocket frame or BOSH body stands alone; a TCP stream declared it in its header).
    public static func encode(_ element: XMLElement, declarePrefix: Bool) -> [UInt8] {
        // Appended piece by piece into one reserved array: features, SASL results and errors are written for
        // every login, and interpolated temporaries cost an allocation each.
        var out: [UInt8] = []
        out.reserveCapacity(256)
        out.appendUTF8("<stream:")
        out.appendUTF8(element.name)
        if declarePrefix {
            out.appendUTF8(" xmlns:stream='")
            out.appendUTF8(Namespace.streams)
            out.append(UInt8(ascii: "'"))
        }
        for attribute in element.attributes where attribute.namespace.isEmpty {
            out.append(UInt8(ascii: " "))
            out.appendUTF8(attribute.name)
            out.appendUTF8("='")
            XMLEscaping.appendEscaped(attribute.value, into: &out)
            out.append(UInt8(ascii: "'"))
        }
        if element.children.isEmpty {
            out.appendUTF8("/>")
            return out
        }
        out.append(UInt8(ascii: ">"))
        for child in element.children {
            switch child {
            case .element(let e): e.serialize(into: &out, inheritedNamespace: Namespace.client)
            case .text(let t): XMLEscaping.appendEscaped(t, into: &out, isAttribute: false)
            }
        }
        out.appendUTF8("</stream:")
        out.appendUTF8(element.name)
        out.append(UInt8(ascii: ">"))
        return out
    }
}

/// A stream-level element encoded once for every stream that sends it, in both of `StreamElementEncoding`'s forms:
/// stream features are the same for every client of a host in the same state, and building and encoding them
/// cost ~8,500 instructions, twice a login (Docs/benchmark-details.md).
public final class PreparedStreamElement: Sendable {
    public let element: XMLElement
    /// For a TCP stream, whose header declared the `stream` prefix.
    public let inStream: [UInt8]
    /// For a WebSocket frame or a BOSH body, which declare it themselves.
    public let standalone: [UInt8]

    public init(_ element: XMLElement) {
        self.element = element
        self.inStream = StreamElementEncoding.encode(element, declarePrefix: false)
        self.standalone = StreamElementEncoding.encode(element, declarePrefix: true)
    }
}
