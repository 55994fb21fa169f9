import Foundation
import XCTest

/// End-to-end tests of `retrain`, `models`, `drift`, `evaluate`'s reliability and `train --tune`.
extension CLITests {
    func testRetrainModelsAndRollback() throws {
        let dir = tempDir()
        XCTAssertEqual(try run(["generate", "--leads", "2000", "--seed", "41", "--out", "\(dir)/old.csv"]).status, 0)
        XCTAssertEqual(try run(["generate", "--leads", "2000", "--seed", "42", "--out", "\(dir)/new.csv"]).status, 0)
        let first = try run(["retrain", "--registry", "\(dir)/models", "--data", "\(dir)/old.csv", "--target", "converted",
                             "--time-column", "created_date", "--trees", "50"])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.contains("Decision: no active model yet"), first.stdout)
        XCTAssertTrue(first.stdout.contains("active version: 1"), first.stdout)
        // Two exports; the lead ids of the two seeds overlap (L0000001…), the newer row wins.
        let second = try run(["retrain", "--registry", "\(dir)/models", "--data", "\(dir)/old.csv", "--data", "\(dir)/new.csv",
                              "--target", "converted", "--time-column", "created_date", "--trees", "50", "--json"])
        XCTAssertEqual(second.status, 0, second.stderr)
        let decision = try JSONSerialization.jsonObject(with: Data(second.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(decision["duplicatesRemoved"] as? Int, 2000)
        XCTAssertEqual(decision["rowsRead"] as? Int, 4000)
        XCTAssertNotNil(decision["champion"] as? [String: Any])
        XCTAssertNotNil(decision["aucDifferenceLow"] as? Double)
        XCTAssertTrue((decision["reason"] as! String).count > 20)

        let list = try run(["models", "list", "--registry", "\(dir)/models"])
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertTrue(list.stdout.contains("* active"), list.stdout)
        let show = try run(["models", "show", "2", "--registry", "\(dir)/models"])
        XCTAssertEqual(show.status, 0, show.stderr)
        XCTAssertTrue(show.stdout.contains("Decision"), show.stdout)
        let promote = try run(["models", "promote", "2", "--registry", "\(dir)/models"])
        if decision["promoted"] as? Bool == true {
            XCTAssertEqual(promote.status, 64)  // already active
        } else {
            XCTAssertEqual(promote.status, 0, promote.stderr)
        }
        let rollback = try run(["models", "rollback", "--registry", "\(dir)/models"])
        XCTAssertEqual(rollback.status, 0, rollback.stderr)
        XCTAssertTrue(rollback.stdout.contains("version 1 is active again"), rollback.stdout)
        // Each version is a model file predict can use.
        let predict = try run(["predict", "--model", "\(dir)/models/v2.json", "--data", "\(dir)/new.csv", "--out", "\(dir)/s.csv"])
        XCTAssertEqual(predict.status, 0, predict.stderr)
    }

    /// A second writer is refused while the first holds the registry's lock.
    func testConcurrentRetrainIsRefused() throws {
        let dir = tempDir()
        XCTAssertEqual(try run(["generate", "--leads", "1500", "--out", "\(dir)/h.csv"]).status, 0)
        try FileManager.default.createDirectory(atPath: "\(dir)/models", withIntermediateDirectories: true)
        let fd = open("\(dir)/models/.lock", O_CREAT | O_RDWR, 0o644)
        XCTAssertEqual(flock(fd, LOCK_EX | LOCK_NB), 0)
        _ = Glibc.write(fd, "pid 424242\n", 11)
        let r = try run(["retrain", "--registry", "\(dir)/models", "--data", "\(dir)/h.csv", "--target", "converted"])
        XCTAssertEqual(r.status, 75)  // EX_TEMPFAIL: try again later
        XCTAssertTrue(r.stderr.contains("another leadscore process (pid 424242)"), r.stderr)
        flock(fd, LOCK_UN)
        close(fd)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/models/registry.json"))
    }

    /// A retrain killed at any moment leaves the registry as it was or as the finished run
    /// leaves it: every listed version loads and the active one is listed.
    func testKilledRetrainLeavesTheRegistryConsistent() throws {
        let dir = tempDir()
        XCTAssertEqual(try run(["generate", "--leads", "3000", "--out", "\(dir)/h.csv"]).status, 0)
        XCTAssertEqual(try run(["retrain", "--registry", "\(dir)/models", "--data", "\(dir)/h.csv", "--target", "converted", "--trees", "30"]).status, 0)
        let before = read("\(dir)/models/registry.json")
        for delay in [0.3, 1.0, 2.0] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["retrain", "--registry", "\(dir)/models", "--data", "\(dir)/h.csv", "--target", "converted", "--trees", "30"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            Thread.sleep(forTimeInterval: delay)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let index = try JSONSerialization.jsonObject(with: Data(read("\(dir)/models/registry.json").utf8)) as! [String: Any]
            let versions = index["versions"] as! [[String: Any]]
            XCTAssertTrue(versions.contains { $0["version"] as? Int == index["active"] as? Int })
            for v in versions {
                let check = try run(["inspect", "\(dir)/models/\(v["file"] as! String)"])
                XCTAssertEqual(check.status, 0, check.stderr)
            }
            XCTAssertEqual(try run(["models", "list", "--registry", "\(dir)/models"]).status, 0)
            // The kernel released the dead process's lock.
            let fd = open("\(dir)/models/.lock", O_RDWR)
            XCTAssertEqual(flock(fd, LOCK_EX | LOCK_NB), 0)
            close(fd)
        }
        XCTAssertFalse(before.isEmpty)
    }

    func testDriftEvaluateReliabilityAndTune() throws {
        let dir = tempDir()
        XCTAssertEqual(try run(["generate", "--leads", "3000", "--seed", "5", "--out", "\(dir)/h.csv"]).status, 0)
        let train = try run(["train", "--data", "\(dir)/h.csv", "--target", "converted", "--model", "logistic", "--out", "\(dir)/m.json"])
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stdout.contains("95% CI"), train.stdout)
        let stable = try run(["drift", "--model", "\(dir)/m.json", "--data", "\(dir)/h.csv", "--json"])
        XCTAssertEqual(stable.status, 0, stable.stderr)
        let s = try JSONSerialization.jsonObject(with: Data(stable.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(s["status"] as? String, "stable")
        // New leads from a new source and a new industry, with company size missing more often.
        let shifted = read("\(dir)/h.csv").replacingOccurrences(of: ",Software,", with: ",Robotics,")
            .replacingOccurrences(of: ",Paid Search,", with: ",Podcast,")
        write(shifted, "\(dir)/new.csv")
        let drift = try run(["drift", "--model", "\(dir)/m.json", "--data", "\(dir)/new.csv"])
        XCTAssertEqual(drift.status, 0, drift.stderr)
        XCTAssertTrue(drift.stdout.contains("robotics"), drift.stdout)
        XCTAssertTrue(drift.stdout.contains("ALARM") || drift.stdout.contains("WARNING"), drift.stdout)
        let evaluate = try run(["evaluate", "--model", "\(dir)/m.json", "--data", "\(dir)/h.csv"])
        XCTAssertEqual(evaluate.status, 0, evaluate.stderr)
        XCTAssertTrue(evaluate.stdout.contains("Reliability") && evaluate.stdout.contains("expected calibration error"), evaluate.stdout)
        let tune = try run(["train", "--data", "\(dir)/h.csv", "--target", "converted", "--tune", "--tune-trials", "4", "--trees", "40", "--out", "\(dir)/t.json"])
        XCTAssertEqual(tune.status, 0, tune.stderr)
        XCTAssertTrue(tune.stdout.contains("--tune tried 4 settings"), tune.stdout)
        let model = try JSONSerialization.jsonObject(with: Data(read("\(dir)/t.json").utf8)) as! [String: Any]
        let hyper = (model["training"] as! [String: Any])["hyperparameters"] as! [String: Any]
        XCTAssertTrue((hyper["tuned"] as? String)?.contains("4 settings") ?? false, "\(hyper)")
        XCTAssertNotNil(hyper["minCategoryCount"] as? Int)
        XCTAssertTrue(hyper["logistic"] is [String: Any] || hyper["boosting"] is [String: Any], "\(hyper)")
    }
}

/// The report rendered by a real browser.
extension CLITests {
    func chromium() -> String? {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            for dir in ["/usr/bin", "/usr/local/bin", "/snap/bin"] where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
                return "\(dir)/\(name)"
            }
        }
        return nil
    }

    /// Runs a program to its end: its exit status and what it printed.
    func runTool(_ path: String, _ arguments: [String], cwd: String? = nil) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Both pipes read at once: a tool that fills one while the other is read would block.
        final class Box: @unchecked Sendable { var data = Data() }
        let e = Box(), done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async { e.data = err.fileHandleForReading.readDataToEndOfFile(); done.signal() }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        done.wait()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e.data, as: UTF8.self))
    }

    func testReportRendersInAHeadlessBrowser() throws {
        let dir = tempDir()
        XCTAssertEqual(try run(["generate", "--leads", "2500", "--seed", "9", "--out", "\(dir)/h.csv"]).status, 0)
        XCTAssertEqual(try run(["train", "--data", "\(dir)/h.csv", "--target", "converted", "--model", "logistic", "--out", "\(dir)/m.json"]).status, 0)
        let r = try run(["report", "--model", "\(dir)/m.json", "--data", "\(dir)/h.csv", "--rules", Self.rulesExample, "--as-of", "2026-11-01",
                         "--out", "\(dir)/report.html"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let html = read("\(dir)/report.html")
        // The page's AUC is evaluate's, to the last digit.
        let e = try run(["evaluate", "--model", "\(dir)/m.json", "--data", "\(dir)/h.csv", "--json"])
        let auc = (try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as! [String: Any])["auc"] as! Double
        let marker = "id=\"auc\" data-value=\""
        let start = html.range(of: marker)!.upperBound
        XCTAssertEqual(Double(html[start...].prefix { $0 != "\"" })!, auc, accuracy: 1e-12)
        guard let browser = chromium() else {
            throw XCTSkip("Chromium is absent: install it (apt-get install chromium; .ci/run does) to render the report in a browser")
        }
        let url = "file://\(dir)/report.html"
        let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--enable-logging=stderr", "--v=0"]
        let shot = try runTool(browser, flags + ["--window-size=1200,6000", "--screenshot=\(dir)/report.png", url])
        XCTAssertEqual(shot.status, 0, shot.stderr)
        let png = FileManager.default.contents(atPath: "\(dir)/report.png") ?? Data()
        XCTAssertGreaterThan(png.count, 50_000, "screenshot too small: \(png.count) bytes")
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
        // No console messages from the page (it has no scripts; a broken page would log).
        let consoleLines = shot.stderr.split(separator: "\n").filter { $0.contains("CONSOLE") || $0.contains("Uncaught") }
        XCTAssertTrue(consoleLines.isEmpty, consoleLines.joined(separator: "\n"))
        // The DOM the browser built holds every chart, each drawing something.
        let dom = try runTool(browser, flags + ["--dump-dom", url])
        XCTAssertEqual(dom.status, 0, dom.stderr)
        for id in ["roc", "pr", "gains", "lift", "reliability", "tier-rate", "tier-share", "distribution", "importance", "agreement", "capacity"] {
            guard let s = dom.stdout.range(of: "<svg id=\"\(id)\"") else { XCTFail("chart \(id) missing from the rendered page"); continue }
            let end = dom.stdout.range(of: "</svg>", range: s.upperBound..<dom.stdout.endIndex)!
            let svg = dom.stdout[s.lowerBound..<end.upperBound]
            XCTAssertTrue(svg.contains("<polyline") || svg.contains("<rect") || svg.contains("<circle"), "chart \(id) is empty")
        }
    }
}
