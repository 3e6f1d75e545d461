/// A rectangle of cells.
public struct Rect: Equatable, Sendable, CustomStringConvertible {
    public var x: Int, y: Int, width: Int, height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }

    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    public var isEmpty: Bool { width == 0 || height == 0 }
    public var description: String { "(\(x),\(y) \(width)×\(height))" }

    public func contains(x px: Int, y py: Int) -> Bool { px >= x && px < maxX && py >= y && py < maxY }

    public func inset(_ amount: Int) -> Rect {
        Rect(x: x + amount, y: y + amount, width: width - 2 * amount, height: height - 2 * amount)
    }

    /// Splits off `count` rows from the top (negative: from the bottom).
    public func splitRows(_ count: Int) -> (Rect, Rect) {
        let rows = count >= 0 ? min(count, height) : max(0, height + count)
        return (Rect(x: x, y: y, width: width, height: rows), Rect(x: x, y: y + rows, width: width, height: height - rows))
    }

    /// Splits off `count` columns from the left (negative: from the right).
    public func splitColumns(_ count: Int) -> (Rect, Rect) {
        let columns = count >= 0 ? min(count, width) : max(0, width + count)
        return (Rect(x: x, y: y, width: columns, height: height), Rect(x: x + columns, y: y, width: width - columns, height: height))
    }

    /// Splits by fractions (e.g. [1, 2] → one third, two thirds) vertically.
    public func rows(_ weights: [Int]) -> [Rect] {
        Self.segments(start: y, length: height, weights: weights).map { Rect(x: x, y: $0, width: width, height: $1) }
    }

    /// Splits by fractions horizontally.
    public func columns(_ weights: [Int]) -> [Rect] {
        Self.segments(start: x, length: width, weights: weights).map { Rect(x: $0, y: y, width: $1, height: height) }
    }

    /// (start, length) per weight; the last segment takes the rounding rest.
    private static func segments(start: Int, length: Int, weights: [Int]) -> [(Int, Int)] {
        let total = max(1, weights.reduce(0, +))
        var result: [(Int, Int)] = []
        var position = start
        for (index, weight) in weights.enumerated() {
            let size = index == weights.count - 1 ? start + length - position : length * weight / total
            result.append((position, size))
            position += size
        }
        return result
    }

    /// A centred rectangle of at most this size.
    public func centered(width w: Int, height h: Int) -> Rect {
        let width = min(w, self.width), height = min(h, self.height)
        return Rect(x: x + (self.width - width) / 2, y: y + (self.height - height) / 2, width: width, height: height)
    }
}
