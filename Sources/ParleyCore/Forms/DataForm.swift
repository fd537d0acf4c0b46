import ParleyXML

/// A data form (XEP-0004): `<x xmlns='jabber:x:data' type='form|submit|cancel|result'>` with fields.
///
/// ```
/// <x xmlns='jabber:x:data' type='submit'>
///   <field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>
///   <field var='muc#roomconfig_whois'><value>anyone</value></field>
/// </x>
/// ```
public struct DataForm: Sendable, Hashable {
    public enum FormType: String, Sendable, Hashable {
        case form, submit, cancel, result
    }

    /// One field (XEP-0004 §3.2). Fields without `var` are `fixed` labels.
    public struct Field: Sendable, Hashable {
        public var variable: String?
        public var type: String?
        public var label: String?
        public var description: String?
        public var values: [String]
        /// `(label, value)` pairs for list fields.
        public var options: [(label: String?, value: String)]

        public init(
            _ variable: String?,
            type: String? = nil,
            label: String? = nil,
            description: String? = nil,
            values: [String] = [],
            options: [(label: String?, value: String)] = []
        ) {
            self.variable = variable
            self.type = type
            self.label = label
            self.description = description
            self.values = values
            self.options = options
        }

        public var value: String? { self.values.first }

        /// A boolean value per XEP-0004 §3.3: `1`/`true` or `0`/`false`; nil when absent or invalid.
        public var boolValue: Bool? {
            switch self.values.first {
            case "1", "true": true
            case "0", "false": false
            default: nil
            }
        }

        public static func == (a: Field, b: Field) -> Bool {
            a.variable == b.variable && a.type == b.type && a.label == b.label && a.description == b.description
                && a.values == b.values && a.options.map(\.label) == b.options.map(\.label)
                && a.options.map(\.value) == b.options.map(\.value)
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(self.variable)
            hasher.combine(self.values)
        }
    }

    public var type: FormType
    public var title: String?
    public var instructions: String?
    public var fields: [Field]

    public init(type: FormType, title: String? = nil, instructions: String? = nil, fields: [Field] = []) {
        self.type = type
        self.title = title
        self.instructions = instructions
        self.fields = fields
    }

    /// Reads a form; nil when `element` is not an `<x xmlns='jabber:x:data'>` with a known type.
    public init?(_ element: XMLElement) {
        guard element.name == "x", element.namespace == Namespace.dataForms,
            let type = element[attribute: "type"].flatMap(FormType.init(rawValue:))
        else { return nil }
        self.type = type
        self.title = element.child("title", namespace: Namespace.dataForms)?.text
        self.instructions = element.child("instructions", namespace: Namespace.dataForms)?.text
        self.fields = element.elements.filter { $0.name == "field" && $0.namespace == Namespace.dataForms }.map { f in
            Field(
                f[attribute: "var"],
                type: f[attribute: "type"],
                label: f[attribute: "label"],
                description: f.child("desc", namespace: Namespace.dataForms)?.text,
                values: f.elements.filter { $0.name == "value" }.map(\.text),
                options: f.elements.filter { $0.name == "option" }.map {
                    (label: $0[attribute: "label"], value: $0.child("value")?.text ?? "")
                }
            )
        }
    }

    /// The hidden `FORM_TYPE` value (XEP-0068).
    public var formType: String? { self.fields.first { $0.variable == "FORM_TYPE" }?.value }

    public subscript(variable: String) -> Field? { self.fields.first { $0.variable == variable } }

    // MARK: - Encoding

    public var element: XMLElement {
        let ns = Namespace.dataForms
        var x = XMLElement(
            name: "x",
            namespace: ns,
            attributes: [XMLAttribute(name: "type", value: self.type.rawValue)]
        )
        if let title = self.title { x.append(DataForm.textElement("title", title)) }
        if let instructions = self.instructions { x.append(DataForm.textElement("instructions", instructions)) }
        for field in self.fields {
            var f = XMLElement(
                "field",
                ns: ns,
                [("var", field.variable), ("type", field.type), ("label", field.label)]
            )
            if let description = field.description { f.append(DataForm.textElement("desc", description)) }
            for option in field.options {
                var o = XMLElement("option", ns: ns, [("label", option.label)])
                o.append(DataForm.textElement("value", option.value))
                f.append(o)
            }
            for value in field.values { f.append(DataForm.textElement("value", value)) }
            x.append(f)
        }
        return x
    }

    private static func textElement(_ name: String, _ text: String) -> XMLElement {
        var e = XMLElement(name: name, namespace: Namespace.dataForms)
        if !text.isEmpty { e.append(text: text) }
        return e
    }
}
