/// Key sequences terminals send that a terminfo entry may not list (tmux,
/// screen, rxvt, the Linux console): read as keys, never typed as text.
public enum EscapeSequence {
    /// The key for `sequence` (what follows ESC), or nil for one unknown:
    /// an unknown sequence is dropped rather than typed.
    public static func key(_ sequence: String) -> Key? {
        if let key = fixed[sequence] { return key }
        // CSI with modifiers (ESC [ 1 ; 5 A is Ctrl-Up): the key without them.
        if sequence.hasPrefix("[1;"), let last = sequence.last, let key = fixed["[" + String(last)] { return key }
        if sequence.hasPrefix("["), sequence.hasSuffix("~") {
            let number = sequence.dropFirst().dropLast().split(separator: ";").first.flatMap { Int($0) }
            if let number, let key = tilde[number] { return key }
        }
        return nil
    }

    static let fixed: [String: Key] = [
        "[A": .up, "[B": .down, "[C": .right, "[D": .left, "[H": .home, "[F": .end, "[Z": .backTab,
        "OA": .up, "OB": .down, "OC": .right, "OD": .left, "OH": .home, "OF": .end,
        "OP": .function(1), "OQ": .function(2), "OR": .function(3), "OS": .function(4), "OM": .enter,
        "[P": .function(1), "[Q": .function(2), "[R": .function(3), "[S": .function(4),
    ]

    static let tilde: [Int: Key] = [
        1: .home, 3: .delete, 4: .end, 5: .pageUp, 6: .pageDown, 7: .home, 8: .end,
        11: .function(1), 12: .function(2), 13: .function(3), 14: .function(4), 15: .function(5), 17: .function(6),
        18: .function(7), 19: .function(8), 20: .function(9), 21: .function(10), 23: .function(11), 24: .function(12),
    ]
}
