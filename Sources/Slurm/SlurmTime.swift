/// A Slurm time limit in any of the forms `sbatch --time` accepts:
/// `M`, `M:S`, `H:M:S`, `D-H`, `D-H:M`, `D-H:M:S`, or `UNLIMITED`.
///
///     try SlurmTime(parsing: "1-2:30").normalized   // "1-02:30:00"
public struct SlurmTime: Sendable, Hashable, CustomStringConvertible {
    /// Total seconds; nil for UNLIMITED.
    public let seconds: Int?

    public init(seconds: Int?) { self.seconds = seconds }

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case invalid(String)
        public var description: String {
            switch self {
            case let .invalid(text):
                return "'\(text)' is not a Slurm time; use minutes (90), M:S, H:M:S (01:30:00), D-H, D-H:M or D-H:M:S (1-12:00:00)"
            }
        }
    }

    public init(parsing text: String) throws {
        let trimmed = String(text.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
        if ["UNLIMITED", "INFINITE"].contains(trimmed.uppercased()) { seconds = nil; return }
        let fail = ParseError.invalid(text)
        func number(_ part: Substring) throws -> Int {
            guard !part.isEmpty, part.count <= 9, part.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(part) else { throw fail }
            return value
        }
        let dayParts = trimmed.split(separator: "-", omittingEmptySubsequences: false)
        guard dayParts.count <= 2 else { throw fail }
        let clock = dayParts.last.map { $0.split(separator: ":", omittingEmptySubsequences: false) } ?? []
        guard !clock.isEmpty, clock.count <= 3 else { throw fail }
        let values = try clock.map(number)
        var total: Int
        if dayParts.count == 2 {
            // D-H, D-H:M, D-H:M:S
            let days = try number(dayParts[0])
            let hours = values[0], minutes = values.count > 1 ? values[1] : 0, secs = values.count > 2 ? values[2] : 0
            guard hours < 24, minutes < 60, secs < 60 else { throw fail }
            total = ((days * 24 + hours) * 60 + minutes) * 60 + secs
        } else {
            switch values.count {
            case 1: total = values[0] * 60                                      // M
            case 2: guard values[1] < 60 else { throw fail }; total = values[0] * 60 + values[1] // M:S
            default:
                guard values[1] < 60, values[2] < 60 else { throw fail }
                total = (values[0] * 60 + values[1]) * 60 + values[2]         // H:M:S
            }
        }
        guard total > 0 else { throw fail }
        seconds = total
    }

    /// `D-HH:MM:SS` (or `HH:MM:SS` under a day), what sbatch gets.
    public var normalized: String {
        guard let seconds else { return "UNLIMITED" }
        let days = seconds / 86400, hours = seconds / 3600 % 24, minutes = seconds / 60 % 60, secs = seconds % 60
        let clock = [hours, minutes, secs].map { $0 < 10 ? "0\($0)" : "\($0)" }.joined(separator: ":")
        return days > 0 ? "\(days)-\(clock)" : clock
    }

    public var description: String { normalized }
}

extension SlurmTime {
    /// A limit of whole minutes (sbatch's `--time M`).
    public static func minutes(_ count: Int) -> SlurmTime { SlurmTime(seconds: count * 60) }
}

/// Stored as the text sbatch gets (`01:30:00`, `UNLIMITED`); read back through
/// the same parser as typed text, so a record written before the limit was
/// typed (`"90"`) reads as the same limit.
extension SlurmTime: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(error)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(normalized)
    }
}
