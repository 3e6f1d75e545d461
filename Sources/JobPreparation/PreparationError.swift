/// A problem with the user's input or the cluster's files, said so a person
/// can fix it: what is wrong, where (file, line, field), and how to fix it.
public struct PreparationError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        case config, infoFile, jobSpec, template, verification, upload, submission
    }

    public let kind: Kind
    /// The file concerned, when there is one.
    public let file: String?
    public let line: Int?
    /// The field, key or placeholder concerned.
    public let field: String?
    public let message: String
    public let fix: String?

    public init(_ kind: Kind, file: String? = nil, line: Int? = nil, field: String? = nil, _ message: String,
                fix: String? = nil) {
        self.kind = kind
        self.file = file
        self.line = line
        self.field = field
        self.message = message
        self.fix = fix
    }

    public var description: String {
        var place: [String] = []
        if let file { place.append(line.map { "\(file):\($0)" } ?? file) }
        if let field { place.append(field) }
        let location = place.isEmpty ? "" : place.joined(separator: ": ") + ": "
        return location + message + (fix.map { ". \($0)" } ?? "")
    }
}
