import Foundation

/// A regular expression for rules' `matches:` tests that runs in time linear in the value's
/// length, whatever the pattern: `(a+)+$` against a long value cannot hang a run.
///
/// ICU's and Foundation's engines backtrack, so some patterns take exponential time on
/// unlucky values. This engine compiles the pattern to a Thompson automaton and simulates all
/// its states at once (Pike's method, without captures: a rule only asks whether the value
/// matches), so each character costs at most one step per instruction of the program.
///
/// The syntax is the common subset of ICU's (which `NSRegularExpression` and earlier rules files
/// used): literals and escapes, `.`, classes `[a-z]` `[^…]` with `\d \w \s \D \W \S`,
/// `\p{L}` (letters), `\p{N}` (numbers), `\p{Lu}`, `\p{Ll}`, anchors `^ $ \A \z \Z`, word
/// boundaries `\b \B`, groups `( )` `(?: )` `(?<name> )`, alternation, quantifiers `* + ?
/// {n} {n,} {n,m}` (greedy, lazy or possessive: the same for a yes/no match), and the flags
/// `(?i)` `(?m)` `(?s)` `(?x)` alone or scoped `(?i: … )`. Back-references and look-around
/// cannot run in linear time and are refused with the reason, as is a pattern whose counted
/// repetitions would compile to more than `maxProgram` instructions.
public struct SafeRegex: Sendable {
    public struct SyntaxError: Error, Equatable, Sendable {
        /// Offset of the problem in the pattern, in characters.
        public var offset: Int
        public var message: String
    }

    /// The most instructions a pattern may compile to (`a{1000}` is 1,000).
    public static let maxProgram = 20_000
    /// Longest value examined: values beyond it are matched on their first this many characters.
    public static let maxValueLength = 100_000

    let program: [Instruction]
    public let pattern: String

    public init(_ pattern: String) throws {
        self.pattern = pattern
        var parser = Parser(Array(pattern.unicodeScalars))
        let tree = try parser.parseAll()
        var compiler = Compiler()
        try compiler.emit(tree)
        compiler.append(.match)
        program = compiler.program
    }

    // MARK: - Syntax tree

    indirect enum Node {
        case empty
        case scalar(Unicode.Scalar, fold: Bool)
        case any(dotAll: Bool)
        case set(CharacterSet, fold: Bool)
        case assertion(Assertion)
        case concat([Node])
        case alternate([Node])
        case repeat_(Node, min: Int, max: Int?)  // max nil = unbounded
    }

    enum Assertion: Sendable {
        case lineStart(multiline: Bool), lineEnd(multiline: Bool), textStart, textEnd, textEndBeforeNewline
        case wordBoundary, notWordBoundary
    }

    /// A set of scalars: ranges and predefined classes, possibly negated.
    struct CharacterSet: Sendable {
        var ranges: [ClosedRange<UInt32>] = []
        var classes: [(Class, negated: Bool)] = []
        var negated = false

        enum Class: Sendable { case digit, word, space, letter, number, upper, lower }

        func contains(_ s: Unicode.Scalar, fold: Bool) -> Bool {
            var hit = rawContains(s)
            if !hit && fold {
                for variant in SafeRegex.caseVariants(s) where variant != s {
                    if rawContains(variant) { hit = true; break }
                }
            }
            return hit != negated
        }

        private func rawContains(_ s: Unicode.Scalar) -> Bool {
            let v = s.value
            for r in ranges where r.contains(v) { return true }
            for (c, negated) in classes where SafeRegex.inClass(s, c) != negated { return true }
            return false
        }
    }

    static func inClass(_ s: Unicode.Scalar, _ c: CharacterSet.Class) -> Bool {
        switch c {
        case .digit: return s.properties.numericType == .decimal
        case .word: return isWord(s)
        case .space: return s.properties.isWhitespace
        case .letter: return s.properties.isAlphabetic
        case .number: return s.properties.numericType != nil
        case .upper: return s.properties.isUppercase
        case .lower: return s.properties.isLowercase
        }
    }

    static func isWord(_ s: Unicode.Scalar) -> Bool {
        s == "_" || s.properties.isAlphabetic || s.properties.numericType == .decimal
            || s.properties.generalCategory == .nonspacingMark || s.properties.generalCategory == .connectorPunctuation
    }

    /// The scalar and its simple lower- and upper-case forms (one scalar each).
    static func caseVariants(_ s: Unicode.Scalar) -> [Unicode.Scalar] {
        var out = [s]
        for mapping in [s.properties.lowercaseMapping, s.properties.uppercaseMapping] {
            let scalars = mapping.unicodeScalars
            if scalars.count == 1, let m = scalars.first, m != s { out.append(m) }
        }
        return out
    }

    // MARK: - Parser

    struct Flags { var fold = false, multiline = false, dotAll = false, extended = false }

    struct Parser {
        let s: [Unicode.Scalar]
        var i = 0
        var flags = Flags()

        init(_ s: [Unicode.Scalar]) { self.s = s }

        func fail(_ message: String, at offset: Int? = nil) -> SyntaxError {
            SyntaxError(offset: offset ?? i, message: message)
        }

        var atEnd: Bool { i >= s.count }
        func peek(_ k: Int = 0) -> Unicode.Scalar? { i + k < s.count ? s[i + k] : nil }

        mutating func parseAll() throws -> Node {
            let node = try parseAlternation(depth: 0)
            if !atEnd { throw fail(s[i] == ")" ? "unbalanced ')'" : "unexpected '\(s[i])'") }
            return node
        }

        mutating func parseAlternation(depth: Int) throws -> Node {
            guard depth < 200 else { throw fail("groups nested more than 200 deep") }
            let saved = flags
            var branches = [try parseConcat(depth: depth)]
            while peek() == "|" {
                i += 1
                branches.append(try parseConcat(depth: depth))
            }
            flags = saved
            return branches.count == 1 ? branches[0] : .alternate(branches)
        }

        mutating func parseConcat(depth: Int) throws -> Node {
            var items: [Node] = []
            while let c = peek(), c != "|", c != ")" {
                if flags.extended {
                    if c.properties.isWhitespace { i += 1; continue }
                    if c == "#" { while let d = peek(), d != "\n" { i += 1 }; continue }
                }
                let start = i
                guard var atom = try parseAtom(depth: depth) else { continue }
                atom = try parseQuantifiers(atom, atomStart: start)
                items.append(atom)
            }
            return items.count == 1 ? items[0] : .concat(items)
        }

        mutating func parseQuantifiers(_ atom: Node, atomStart: Int) throws -> Node {
            var node = atom
            while let c = peek() {
                var range: (Int, Int?)
                let at = i
                switch c {
                case "*": range = (0, nil); i += 1
                case "+": range = (1, nil); i += 1
                case "?": range = (0, 1); i += 1
                case "{":
                    guard let counted = try parseCount() else { return node }
                    range = counted
                default:
                    return node
                }
                if case .assertion = node { throw fail("a quantifier after an anchor or boundary", at: at) }
                if case .empty = node { throw fail("a quantifier with nothing to repeat", at: at) }
                // Lazy (`*?`) and possessive (`*+`) forms match the same values.
                if let d = peek(), d == "?" || d == "+" { i += 1 }
                node = .repeat_(node, min: range.0, max: range.1)
            }
            return node
        }

        /// `{n}`, `{n,}`, `{n,m}`; nil (and nothing consumed) when the brace is a literal.
        mutating func parseCount() throws -> (Int, Int?)? {
            var j = i + 1
            func number() -> Int? {
                var v = 0, digits = 0
                while j < s.count, let d = s[j].properties.numericType == .decimal && s[j].isASCII ? Int(s[j].value) - 48 : nil {
                    v = min(v * 10 + d, 1_000_000); digits += 1; j += 1
                }
                return digits > 0 ? v : nil
            }
            guard let lo = number() else { return nil }
            var hi: Int? = lo
            if j < s.count, s[j] == "," {
                j += 1
                hi = number()
            }
            guard j < s.count, s[j] == "}" else { return nil }
            if let hi, hi < lo { throw fail("{\(lo),\(hi)}: the maximum is below the minimum") }
            guard lo <= 1000, (hi ?? 0) <= 1000 else { throw fail("counted repetitions above 1000 are not supported") }
            i = j + 1
            return (lo, hi)
        }

        mutating func parseAtom(depth: Int) throws -> Node? {
            guard let c = peek() else { return .empty }
            switch c {
            case "(":
                return try parseGroup(depth: depth)
            case "[":
                i += 1
                return .set(try parseClass(), fold: flags.fold)
            case ".":
                i += 1
                return .any(dotAll: flags.dotAll)
            case "^":
                i += 1
                return .assertion(.lineStart(multiline: flags.multiline))
            case "$":
                i += 1
                return .assertion(.lineEnd(multiline: flags.multiline))
            case "\\":
                return try parseEscape()
            case "*", "+", "?":
                throw fail("'\(c)' has nothing to repeat")
            default:
                i += 1
                return .scalar(c, fold: flags.fold)
            }
        }

        mutating func parseGroup(depth: Int) throws -> Node? {
            let open = i
            i += 1
            if peek() == "?" {
                i += 1
                guard let k = peek() else { throw fail("unterminated group", at: open) }
                switch k {
                case ":":
                    i += 1
                case "=", "!":
                    throw fail("look-ahead '(?\(k)' is not supported: rules' patterns must run in linear time", at: open)
                case ">":
                    throw fail("atomic groups '(?>' are not supported", at: open)
                case "<":
                    if let n = peek(1), n == "=" || n == "!" {
                        throw fail("look-behind '(?<\(n)' is not supported: rules' patterns must run in linear time", at: open)
                    }
                    i += 1
                    while let n = peek(), n != ">" { i += 1 }
                    guard peek() == ">" else { throw fail("unterminated group name", at: open) }
                    i += 1
                case "#":
                    while let n = peek(), n != ")" { i += 1 }
                    guard peek() == ")" else { throw fail("unterminated comment", at: open) }
                    i += 1
                    return nil
                default:
                    // Flags: (?i) for the rest of the enclosing group, or (?i: … ) for a group.
                    var on = true
                    var f = flags
                    while let n = peek(), n != ")" && n != ":" {
                        switch n {
                        case "-": on = false
                        case "i": f.fold = on
                        case "m": f.multiline = on
                        case "s": f.dotAll = on
                        case "x": f.extended = on
                        default: throw fail("unknown flag '\(n)'")
                        }
                        i += 1
                    }
                    guard let end = peek() else { throw fail("unterminated group", at: open) }
                    i += 1
                    if end == ")" { flags = f; return nil }
                    let saved = flags
                    flags = f
                    let inner = try parseAlternation(depth: depth + 1)
                    guard peek() == ")" else { throw fail("missing ')'", at: open) }
                    i += 1
                    flags = saved
                    return inner
                }
            }
            let inner = try parseAlternation(depth: depth + 1)
            guard peek() == ")" else { throw fail("missing ')'", at: open) }
            i += 1
            return inner
        }

        /// After `\`: an escape outside a class.
        mutating func parseEscape() throws -> Node {
            let start = i
            i += 1
            guard let c = peek() else { throw fail("a pattern cannot end with '\\'", at: start) }
            i += 1
            switch c {
            case "b": return .assertion(.wordBoundary)
            case "B": return .assertion(.notWordBoundary)
            case "A": return .assertion(.textStart)
            case "z": return .assertion(.textEnd)
            case "Z": return .assertion(.textEndBeforeNewline)
            case "1"..."9":
                throw fail("back-references (\\\(c)) are not supported: rules' patterns must run in linear time", at: start)
            case "k":
                throw fail("named back-references are not supported", at: start)
            default:
                i = start
                var set = CharacterSet()
                if let scalar = try parseClassEscape(into: &set) { return .scalar(scalar, fold: flags.fold) }
                return .set(set, fold: flags.fold)
            }
        }

        /// An escape at `s[i] == "\\"` that stands for one scalar (returned) or a class (added to `set`).
        mutating func parseClassEscape(into set: inout CharacterSet) throws -> Unicode.Scalar? {
            let start = i
            i += 1
            guard let c = peek() else { throw fail("a pattern cannot end with '\\'", at: start) }
            i += 1
            switch c {
            case "d": set.classes.append((.digit, false))
            case "D": set.classes.append((.digit, true))
            case "w": set.classes.append((.word, false))
            case "W": set.classes.append((.word, true))
            case "s": set.classes.append((.space, false))
            case "S": set.classes.append((.space, true))
            case "p", "P":
                guard peek() == "{" else { throw fail("\\\(c) needs a property such as {L}", at: start) }
                var name = ""
                i += 1
                while let n = peek(), n != "}" { name.unicodeScalars.append(n); i += 1 }
                guard peek() == "}" else { throw fail("unterminated \\\(c){…}", at: start) }
                i += 1
                let cls: CharacterSet.Class
                switch name {
                case "L", "Letter", "Alphabetic": cls = .letter
                case "N", "Number": cls = .number
                case "Nd", "Digit": cls = .digit
                case "Lu", "Uppercase_Letter", "Uppercase": cls = .upper
                case "Ll", "Lowercase_Letter", "Lowercase": cls = .lower
                default: throw fail("unsupported property \\\(c){\(name)} (supported: L, N, Nd, Lu, Ll)", at: start)
                }
                set.classes.append((cls, c == "P"))
            case "t": return "\t"
            case "n": return "\n"
            case "r": return "\r"
            case "f": return "\u{0C}"
            case "v": return "\u{0B}"
            case "e": return "\u{1B}"
            case "a": return "\u{07}"
            case "0": return "\0"
            case "x", "u":
                var hex = ""
                if c == "x", peek() == "{" {
                    i += 1
                    while let n = peek(), n != "}" { hex.unicodeScalars.append(n); i += 1 }
                    guard peek() == "}" else { throw fail("unterminated \\x{…}", at: start) }
                    i += 1
                } else {
                    let width = c == "x" ? 2 : 4
                    for _ in 0..<width {
                        guard let n = peek() else { break }
                        hex.unicodeScalars.append(n)
                        i += 1
                    }
                }
                guard !hex.isEmpty, hex.count <= 8, let v = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(v) else {
                    throw fail("bad character code \\\(c)\(hex)", at: start)
                }
                return scalar
            default:
                if c.properties.isAlphabetic || c.properties.numericType != nil {
                    throw fail("unknown escape '\\\(c)'", at: start)
                }
                return c  // an escaped punctuation character stands for itself
            }
            return nil
        }

        /// After `[`: a class up to its `]`.
        mutating func parseClass() throws -> CharacterSet {
            let open = i - 1
            var set = CharacterSet()
            if peek() == "^" { set.negated = true; i += 1 }
            var first = true
            while true {
                guard let c = peek() else { throw fail("missing ']'", at: open) }
                if c == "]" && !first { i += 1; break }
                first = false
                if c == "[" { throw fail("nested classes and set operations are not supported", at: i) }
                var low: Unicode.Scalar
                if c == "\\" {
                    guard let scalar = try parseClassEscape(into: &set) else { continue }
                    low = scalar
                } else {
                    low = c
                    i += 1
                }
                // A range a-z (a '-' before ']' is a literal).
                if peek() == "-", let after = peek(1), after != "]" {
                    i += 1
                    var high: Unicode.Scalar
                    if after == "\\" {
                        var dummy = CharacterSet()
                        guard let scalar = try parseClassEscape(into: &dummy) else { throw fail("a class cannot end a range", at: i) }
                        high = scalar
                    } else {
                        high = after
                        i += 1
                    }
                    guard low.value <= high.value else { throw fail("range out of order: \(low)-\(high)", at: i) }
                    set.ranges.append(low.value...high.value)
                } else {
                    set.ranges.append(low.value...low.value)
                }
            }
            return set
        }
    }

    // MARK: - Program

    enum Instruction: Sendable {
        case scalar(Unicode.Scalar, fold: Bool)
        case any(dotAll: Bool)
        case set(CharacterSet, fold: Bool)
        case assertion(Assertion)
        case split(Int, Int)
        case jump(Int)
        case match
    }

    struct Compiler {
        var program: [Instruction] = []

        mutating func append(_ instruction: Instruction) { program.append(instruction) }

        mutating func emit(_ node: Node) throws {
            guard program.count <= SafeRegex.maxProgram else {
                throw SyntaxError(offset: 0, message: "the pattern is too large (more than \(SafeRegex.maxProgram) steps once its counted repetitions are expanded)")
            }
            switch node {
            case .empty:
                break
            case let .scalar(s, fold):
                append(.scalar(s, fold: fold))
            case let .any(dotAll):
                append(.any(dotAll: dotAll))
            case let .set(set, fold):
                append(.set(set, fold: fold))
            case let .assertion(a):
                append(.assertion(a))
            case let .concat(items):
                for item in items { try emit(item) }
            case let .alternate(branches):
                // split L1, next; L1: branch; jump end; next: split …
                var jumps: [Int] = []
                for (k, branch) in branches.enumerated() {
                    if k < branches.count - 1 {
                        let split = program.count
                        append(.split(split + 1, 0))
                        try emit(branch)
                        jumps.append(program.count)
                        append(.jump(0))
                        program[split] = .split(split + 1, program.count)
                    } else {
                        try emit(branch)
                    }
                }
                for j in jumps { program[j] = .jump(program.count) }
            case let .repeat_(inner, min, max):
                for _ in 0..<min { try emit(inner) }
                if let max {
                    // Optional copies: split over each, all skipping to the end.
                    var splits: [Int] = []
                    for _ in min..<max {
                        splits.append(program.count)
                        append(.split(program.count + 1, 0))
                        try emit(inner)
                    }
                    for s in splits { program[s] = .split(s + 1, program.count) }
                } else {
                    // L: split body, end; body; jump L. An inner part that can match empty makes
                    // no infinite loop here: the simulation adds each state once per position.
                    let loop = program.count
                    append(.split(loop + 1, 0))
                    try emit(inner)
                    append(.jump(loop))
                    program[loop] = .split(loop + 1, program.count)
                }
            }
        }
    }

    // MARK: - Matching

    /// Whether the pattern matches anywhere in `text` (its first `maxValueLength` characters).
    public func matches(_ text: String) -> Bool {
        var scalars = Array(text.unicodeScalars)
        if scalars.count > SafeRegex.maxValueLength { scalars.removeSubrange(SafeRegex.maxValueLength...) }
        let n = program.count
        // Sparse sets of program counters, with a generation mark per state.
        var current: [Int] = [], next: [Int] = []
        current.reserveCapacity(n); next.reserveCapacity(n)
        var mark = [Int](repeating: -1, count: n)
        var generation = 0
        var stack: [Int] = []

        func isWordAt(_ k: Int) -> Bool { k >= 0 && k < scalars.count && SafeRegex.isWord(scalars[k]) }

        /// Adds `pc` and every state reachable from it without reading a character, at position `at`.
        func addClosure(_ pc: Int, at: Int, into list: inout [Int]) -> Bool {
            stack.append(pc)
            while let p = stack.popLast() {
                if mark[p] == generation { continue }
                mark[p] = generation
                switch program[p] {
                case .match:
                    stack.removeAll()
                    return true
                case let .jump(t):
                    stack.append(t)
                case let .split(a, b):
                    stack.append(b)
                    stack.append(a)
                case let .assertion(a):
                    if holds(a, at: at) { stack.append(p + 1) }
                default:
                    list.append(p)
                }
            }
            return false
        }

        func holds(_ a: Assertion, at k: Int) -> Bool {
            switch a {
            case let .lineStart(multiline): return k == 0 || (multiline && scalars[k - 1] == "\n")
            case let .lineEnd(multiline):
                return k == scalars.count || (k == scalars.count - 1 && scalars[k] == "\n") || (multiline && scalars[k] == "\n")
            case .textStart: return k == 0
            case .textEnd: return k == scalars.count
            case .textEndBeforeNewline: return k == scalars.count || (k == scalars.count - 1 && scalars[k] == "\n")
            case .wordBoundary: return isWordAt(k - 1) != isWordAt(k)
            case .notWordBoundary: return isWordAt(k - 1) == isWordAt(k)
            }
        }

        // Position 0, then each character: advance every live state over it, and (the search
        // is unanchored) start a new attempt after it. Each state enters a list once per position.
        generation += 1
        if addClosure(0, at: 0, into: &current) { return true }
        for k in 0..<scalars.count {
            let c = scalars[k]
            generation += 1
            next.removeAll(keepingCapacity: true)
            for p in current {
                let advances: Bool
                switch program[p] {
                case let .scalar(s, fold):
                    advances = s == c || (fold && SafeRegex.caseVariants(c).contains(s))
                case let .any(dotAll):
                    advances = dotAll || c != "\n"
                case let .set(set, fold):
                    advances = set.contains(c, fold: fold)
                default:
                    advances = false
                }
                if advances, addClosure(p + 1, at: k + 1, into: &next) { return true }
            }
            if addClosure(0, at: k + 1, into: &next) { return true }
            swap(&current, &next)
        }
        return false
    }
}
