// MARK: - Encoding

extension XMLElement {
    /// Appends this element as UTF-8 XML to `out`.
    ///
    /// `inheritedNamespace` is the default namespace in scope where the element is written: `jabber:client`
    /// inside a c2s stream (so stanzas carry no `xmlns`), empty for a stand-alone document such as a
    /// WebSocket frame (RFC 7395 §3.3.3: each stanza then declares its namespace).
    public func serialize(into out: inout [UInt8], inheritedNamespace: String) {
        self.serialize(into: &out, inheritedNamespace: inheritedNamespace) { _ in }
    }

    /// Appends this element as `serialize(into:inheritedNamespace:)` does, with `moreAttributes` writing more
    /// attributes after its own (` name='value'`, escaped by the caller): a stanza's addresses, written from its
    /// JIDs' parts without making a string or a copy of the element for them.
    public func serialize(
        into out: inout [UInt8],
        inheritedNamespace: String,
        moreAttributes: (inout [UInt8]) -> Void
    ) {
        out.append(UInt8(ascii: "<"))
        out.appendUTF8(self.name)
        if self.namespace != inheritedNamespace {
            out.appendUTF8(" xmlns='")
            XMLEscaping.appendEscaped(self.namespace, into: &out)
            out.append(UInt8(ascii: "'"))
        }
        var extraPrefixes = 0
        for attribute in self.attributes {
            out.append(UInt8(ascii: " "))
            if attribute.namespace.isEmpty {
                out.appendUTF8(attribute.name)
            } else if attribute.namespace == XMLAttribute.xmlNamespace {
                out.appendUTF8("xml:")
                out.appendUTF8(attribute.name)
            } else {
                // A namespaced attribute: declare a prefix for it on this element.
                extraPrefixes += 1
                let prefix = "ns\(extraPrefixes)"
                out.append(contentsOf: "xmlns:\(prefix)='".utf8)
                XMLEscaping.appendEscaped(attribute.namespace, into: &out)
                out.append(contentsOf: "' \(prefix):".utf8)
                out.appendUTF8(attribute.name)
            }
            out.appendUTF8("='")
            XMLEscaping.appendEscaped(attribute.value, into: &out)
            out.append(UInt8(ascii: "'"))
        }
        moreAttributes(&out)
        if self.children.isEmpty {
            out.appendUTF8("/>")
            return
        }
        out.append(UInt8(ascii: ">"))
        for child in self.children {
            switch child {
            case .element(let element): element.serialize(into: &out, inheritedNamespace: self.namespace)
            case .text(let text): XMLEscaping.appendEscaped(text, into: &out, isAttribute: false)
            }
        }
        out.appendUTF8("</")
        out.appendUTF8(self.name)
        out.append(UInt8(ascii: ">"))
    }

    /// The element as UTF-8 bytes.
    public func serialized(inheritedNamespace: String = "") -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        self.serialize(into: &out, inheritedNamespace: inheritedNamespace)
        return out
    }

    /// The element as a string (tests, logs at trace level).
    public func xmlString(inheritedNamespace: String = "") -> String {
        String(decoding: self.serialized(inheritedNamespace: inheritedNamespace), as: UTF8.self)
    }
}

/// XML escaping for text and single-quoted attribute values.
public enum XMLEscaping {
    /// Whether `bytes` hold a character `appendEscaped` would change: markup, C0 controls, a carriage return, and in
    /// an attribute quotes, a tab or a line feed (which a parser would otherwise normalise to a space, XML 1.0
    /// §3.3.3).
    @inline(__always)
    private static func needsEscaping(bytes: UnsafeBufferPointer<UInt8>, isAttribute: Bool) -> Bool {
        for byte in bytes where byte < 0x3F {
            switch byte {
            case UInt8(ascii: "&"), UInt8(ascii: "<"), UInt8(ascii: ">"):
                return true
            case UInt8(ascii: "'"), UInt8(ascii: "\""), 0x09, 0x0A:
                if isAttribute { return true }
            case 0..<0x20:
                return true
            default: continue
            }
        }
        return false
    }

    /// Appends `string` escaped. Text escapes `& < >`; attributes also escape both quotes. Characters that
    /// XML 1.0 cannot carry at all (most C0 controls) are dropped, so the output is always well-formed. The bytes
    /// are scanned in place and, as nearly always, copied at once when nothing needs escaping.
    public static func appendEscaped(_ string: String, into out: inout [UInt8], isAttribute: Bool = true) {
        var string = string
        string.withUTF8 { bytes in
            if !XMLEscaping.needsEscaping(bytes: bytes, isAttribute: isAttribute) {
                out.append(contentsOf: bytes)
                return
            }
            for byte in bytes {
                switch byte {
                case UInt8(ascii: "&"): out.appendUTF8("&amp;")
                case UInt8(ascii: "<"): out.appendUTF8("&lt;")
                case UInt8(ascii: ">"): out.appendUTF8("&gt;")
                case UInt8(ascii: "'") where isAttribute: out.appendUTF8("&apos;")
                case UInt8(ascii: "\"") where isAttribute: out.appendUTF8("&quot;")
                case 0x0D: out.appendUTF8("&#13;")  // kept through a round trip
                case 0x09 where isAttribute: out.appendUTF8("&#9;")
                case 0x0A where isAttribute: out.appendUTF8("&#10;")
                case 0..<0x20 where byte != 0x09 && byte != 0x0A: continue
                default: out.append(byte)
                }
            }
        }
    }

    /// The escaped form as a string.
    public static func escaped(_ string: String, isAttribute: Bool = true) -> String {
        var out: [UInt8] = []
        self.appendEscaped(string, into: &out, isAttribute: isAttribute)
        return String(decoding: out, as: UTF8.self)
    }
}
