import Foundation

/// How the app tells the user a job ended while they look elsewhere: the
/// terminal bell, or also a desktop notification through the terminal
/// (OSC 777 as rxvt, foot, kitty and VTE read it; OSC 9 as iTerm2, Windows
/// Terminal and WezTerm do). Chosen with `HPCS_JOB_NOTIFY=bell|osc777|osc9|off`.
public enum DesktopNotification: String, Sendable, CaseIterable {
    case off, bell, osc777, osc9

    public init(environment: [String: String]) {
        self = environment["HPCS_JOB_NOTIFY"].flatMap { DesktopNotification(rawValue: $0.lowercased()) } ?? .bell
    }

    /// The bytes for the terminal. Title and body come from the cluster (a
    /// job's name): everything that could end or extend the sequence — C0 and
    /// C1 controls, DEL, ';' for OSC 777 — is dropped.
    public func sequence(title: String, body: String) -> [UInt8] {
        func clean(_ text: String, dropping extra: Set<Character> = []) -> String {
            String(TerminalSanitizer.plainText(text).filter { char in
                !extra.contains(char) && char.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F && !(0x80...0x9F).contains($0.value) }
            }.prefix(200))
        }
        switch self {
        case .off: return []
        case .bell: return [0x07]
        case .osc777: return [0x07] + Array("\u{1b}]777;notify;\(clean(title, dropping: [";"]));\(clean(body, dropping: [";"]))\u{1b}\\".utf8)
        case .osc9: return [0x07] + Array("\u{1b}]9;\(clean(title)): \(clean(body))\u{1b}\\".utf8)
        }
    }
}
