/// An XML element as XMPP uses it: namespaced, attributes kept in order, text and children interleaved.
///
/// Names are local names; `namespace` is the resolved namespace URI (empty when none is in scope).
/// Payloads stay in this form end to end, so Jitsi's presence extensions pass through untouched.
public struct XMLElement: Sendable, Hashable {
    public var name: String
    public var namespace: String
    public var attributes: [XMLAttribute]
    public var children: [XMLNode]

    public init(name: String, namespace: String, attributes: [XMLAttribute] = [], children: [XMLNode] = []) {
        self.name = name
        self.namespace = namespace
        self.attributes = attributes
        self.children = children
    }

    /// Convenience for building elements in code: `XMLElement("ping", ns: Namespace.ping)`.
    public init(_ name: String, ns: String, _ attributes: [(String, String?)] = [], children: [XMLElement] = []) {
        self.name = name
        self.namespace = ns
        self.attributes = attributes.compactMap { pair in pair.1.map { XMLAttribute(name: pair.0, value: $0) } }
        self.children = children.map(XMLNode.element)
    }

    /// The value of the un-namespaced attribute `name`.
    public subscript(attribute name: String) -> String? {
        get {
            for a in self.attributes where a.name == name && a.namespace.isEmpty { return a.value }
            return nil
        }
        set {
            if let index = self.attributes.firstIndex(where: { $0.name == name && $0.namespace.isEmpty }) {
                if let newValue {
                    self.attributes[index].value = newValue
                } else {
                    self.attributes.remove(at: index)
                }
            } else if let newValue {
                self.attributes.append(XMLAttribute(name: name, value: newValue))
            }
        }
    }

    /// The child elements, in order.
    public var elements: [XMLElement] {
        self.children.compactMap {
            if case .element(let e) = $0 { return e }
            return nil
        }
    }

    /// The first child element with this name (and namespace, when given).
    public func child(_ name: String, namespace: String? = nil) -> XMLElement? {
        for case .element(let e) in self.children where e.name == name && (namespace == nil || e.namespace == namespace)
        {
            return e
        }
        return nil
    }

    /// The first child element in `namespace`, whatever its name.
    public func child(namespace: String) -> XMLElement? {
        for case .element(let e) in self.children where e.namespace == namespace { return e }
        return nil
    }

    /// The concatenated text of the direct text children.
    public var text: String {
        var s = ""
        for case .text(let t) in self.children { s += t }
        return s
    }

    /// Appends a child element.
    public mutating func append(_ element: XMLElement) { self.children.append(.element(element)) }
    /// Appends text.
    public mutating func append(text: String) { self.children.append(.text(text)) }

    /// Removes the child elements matching the predicate.
    public mutating func removeChildren(where predicate: (XMLElement) -> Bool) {
        self.children.removeAll {
            if case .element(let e) = $0 { return predicate(e) }
            return false
        }
    }
}

/// A child of an element: another element or character data.
public enum XMLNode: Sendable, Hashable {
    case element(XMLElement)
    case text(String)
}

/// An attribute. `namespace` is empty for ordinary attributes; `xml:lang` has the XML namespace.
public struct XMLAttribute: Sendable, Hashable {
    public var name: String
    public var namespace: String
    public var value: String

    public init(name: String, namespace: String = "", value: String) {
        self.name = name
        self.namespace = namespace
        self.value = value
    }

    /// `http://www.w3.org/XML/1998/namespace`, bound to the `xml` prefix by definition.
    public static let xmlNamespace = "http://www.w3.org/XML/1998/namespace"
}
