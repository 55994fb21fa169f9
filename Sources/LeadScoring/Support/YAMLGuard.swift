import CYaml
import Foundation
import Yams

/// Reads YAML from outside (rules files, schema overrides, the service's configuration) with
/// bounds, so that no file can crash or stall leadscore: at most `maxBytes` of text, nesting at
/// most `maxDepth` deep (Yams builds its node tree recursively: a file of 100,000 `[` would
/// overflow the stack), and at most `maxExpandedNodes` nodes once aliases are expanded (a
/// "billion laughs" file of nested aliases is tiny as text but exponential to walk).
///
/// The bounds are checked on libyaml's event stream, which its parser produces without
/// recursion, before Yams composes the node tree.
public enum YAMLGuard {
    public static let maxBytes = 1 << 20
    public static let maxDepth = 64
    public static let maxExpandedNodes = 100_000

    /// Why a YAML text was refused: a syntax error or a bound, with the line and column (1-based;
    /// 0 when unknown).
    public struct Failure: Error, Equatable, Sendable {
        public var line: Int
        public var column: Int
        public var message: String

        /// "line 3, column 5: message".
        public var text: String { line > 0 ? "line \(line), column \(column): \(message)" : message }
    }

    /// The document's root node (nil for an empty document), after checking the bounds.
    public static func compose(_ text: String) throws -> Node? {
        try check(text)
        do {
            return try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw failure(error)
        }
    }

    /// Checks size, depth and expanded size on libyaml's events.
    public static func check(_ text: String) throws {
        guard text.utf8.count <= maxBytes else {
            throw Failure(line: 0, column: 0, message: "the file is \(text.utf8.count) bytes; YAML files of at most \(maxBytes) bytes are read")
        }
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { throw Failure(line: 0, column: 0, message: "cannot start the YAML parser") }
        defer { yaml_parser_delete(&parser) }
        let bytes = Array(text.utf8)
        try bytes.withUnsafeBufferPointer { buffer in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            // Per open collection: its expanded size so far and its anchor.
            var stack: [(size: Int, anchor: String?)] = []
            var anchors: [String: Int] = [:]
            var total = 0
            func anchorName(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
                pointer.map { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            }
            func add(_ size: Int, mark: yaml_mark_t) throws {
                if stack.isEmpty { total += size } else { stack[stack.count - 1].size += size }
                if total > maxExpandedNodes || (stack.last.map { $0.size > maxExpandedNodes } ?? false) {
                    throw Failure(line: Int(mark.line) + 1, column: Int(mark.column) + 1,
                                  message: "aliases expand to more than \(maxExpandedNodes) nodes")
                }
            }
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    let mark = parser.problem_mark
                    let problem = parser.problem.map { String(cString: $0) } ?? "not valid YAML"
                    throw Failure(line: Int(mark.line) + 1, column: Int(mark.column) + 1, message: "YAML syntax error: \(problem)")
                }
                defer { yaml_event_delete(&event) }
                let mark = event.start_mark
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return
                case YAML_SCALAR_EVENT:
                    if let name = anchorName(event.data.scalar.anchor) { anchors[name] = 1 }
                    try add(1, mark: mark)
                case YAML_ALIAS_EVENT:
                    // An undefined alias is Yams' error to report.
                    try add(anchorName(event.data.alias.anchor).flatMap { anchors[$0] } ?? 1, mark: mark)
                case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                    guard stack.count < maxDepth else {
                        throw Failure(line: Int(mark.line) + 1, column: Int(mark.column) + 1,
                                      message: "nesting deeper than \(maxDepth) levels")
                    }
                    let anchor = event.type == YAML_SEQUENCE_START_EVENT ? event.data.sequence_start.anchor : event.data.mapping_start.anchor
                    stack.append((1, anchorName(anchor)))
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    guard let frame = stack.popLast() else { break }
                    if let name = frame.anchor { anchors[name] = frame.size }
                    try add(frame.size, mark: mark)
                default:
                    break
                }
            }
        }
    }

    /// A Yams error as a failure with its line and column.
    static func failure(_ error: YamlError) -> Failure {
        switch error {
        case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
            return Failure(line: mark.line, column: mark.column, message: "YAML syntax error: \(problem)")
        case let .duplicatedKeysInMapping(duplicates, context):
            return Failure(line: context.mark.line, column: context.mark.column,
                           message: "duplicate key\(duplicates.count == 1 ? "" : "s") \(duplicates.map { "'\($0)'" }.joined(separator: ", "))")
        default:
            return Failure(line: 0, column: 0, message: "YAML error: \(error)")
        }
    }
}

/// The text of a small input file (rules, schema overrides, configuration): a missing or
/// unreadable file is `DataError.cannotOpen` (exit 66), text that is not UTF-8 names the byte
/// offset (exit 65).
public func readTextFile(_ path: String, what: String, maxBytes: Int = YAMLGuard.maxBytes) throws -> String {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
        throw FileError.unreadable(path: path, reason: "no such \(what)")
    }
    guard !isDir.boolValue else { throw FileError.unreadable(path: path, reason: "it is a folder, not a \(what)") }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw FileError.unreadable(path: path, reason: "cannot read the \(what)")
    }
    guard data.count <= maxBytes else {
        throw DataError.badInput(SourceLocation(file: path), reason: "the \(what) is \(data.count) bytes; at most \(maxBytes) are read")
    }
    let bytes = [UInt8](data)
    guard let text = String(validating: bytes, as: UTF8.self) else {
        var offset = 0
        // The first byte where decoding fails.
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        loop: while true {
            switch decoder.decode(&iterator) {
            case let .scalarValue(s): offset += UTF8.width(s)
            case .emptyInput: break loop
            case .error: break loop
            }
        }
        throw DataError.badInput(SourceLocation(file: path), reason: "not UTF-8 text (invalid bytes at offset \(offset)); save it as UTF-8")
    }
    return text
}
