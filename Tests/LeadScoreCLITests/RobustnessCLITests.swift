import Foundation
import XCTest

/// Real exports nobody here wrote: locale number formats, leaks, dropped ids, and the exit
/// codes scripts rely on.
extension CLITests {
    func json(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(read(path).utf8)) as! [String: Any]
    }

    /// `value` written with a decimal comma and '.' between thousands: 1234.5 → "1.234,5".
    func european(_ value: String) -> String {
        let negative = value.hasPrefix("-")
        let digits = negative ? String(value.dropFirst()) : value
        let parts = digits.split(separator: ".", omittingEmptySubsequences: false)
        var integer = String(parts[0])
        var grouped = ""
        while integer.count > 3 {
            grouped = "." + integer.suffix(3) + grouped
            integer = String(integer.dropLast(3))
        }
        grouped = integer + grouped
        return (negative ? "-" : "") + grouped + (parts.count > 1 ? "," + parts[1] : "")
    }

    func testASemicolonExportWithDecimalCommasCurrenciesAndPercentsTrainsTheSameModel() throws {
        let dir = tempDir()
        XCTAssertEqual(try run(["generate", "--leads", "2500", "--seed", "31", "--out", "\(dir)/gen.csv"]).status, 0)
        let rows = read("\(dir)/gen.csv").split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = rows[0]
        func column(_ name: String) -> Int { header.firstIndex(of: name)! }
        let size = column("company_size"), time = column("time_on_site_sec"), pages = column("pages_per_visit")
        let visits = column("website_visits")
        // The same leads twice: plainly, and as a European CRM exports them, with two extra
        // columns (revenue in euros, an open rate in percent) written each way.
        var plain = [header.joined(separator: ",") + ",annual_revenue,open_rate"]
        var euro = [header.joined(separator: ";") + ";annual_revenue;open_rate"]
        for (k, row) in rows.dropFirst().enumerated() {
            let revenue = row[size].isEmpty ? "" : "\(Int(row[size])! * 1_250 + k % 7)"
            let rate = "\((Int(row[visits]) ?? 0) * 7 % 100)"
            var p = row, e = row
            e[size] = row[size].isEmpty ? "#N/A" : european(row[size])
            e[time] = european(row[time])
            e[pages] = european(row[pages])
            p += [revenue.isEmpty ? "" : revenue + ".50", rate == "0" ? "0" : String(format: "0.%02d", Int(rate)!)]
            e += [revenue.isEmpty ? "" : "€ " + european(revenue + ".50"), rate + "%"]
            plain.append(p.joined(separator: ","))
            euro.append(e.joined(separator: ";"))
        }
        write(plain.joined(separator: "\n") + "\n", "\(dir)/plain.csv")
        write(euro.joined(separator: "\n") + "\n", "\(dir)/euro.csv")

        let schema = try run(["schema", "\(dir)/euro.csv", "--target", "converted"])
        XCTAssertEqual(schema.status, 0, schema.stderr)
        XCTAssertTrue(schema.stdout.contains("numeric (decimal comma, thousands '.', currency €)"), schema.stdout)
        XCTAssertTrue(schema.stdout.contains("numeric (percent)"), schema.stdout)
        XCTAssertTrue(schema.stdout.contains("numeric (decimal comma)"), schema.stdout)

        for (name, model) in [("logistic", "logistic"), ("trees", "gbdt")] {
            var arguments = ["--target", "converted", "--model", model, "--calibration", "none"]
            if model == "gbdt" { arguments += ["--trees", "30", "--early-stopping", "0"] }
            let a = try run(["train", "--data", "\(dir)/plain.csv", "--out", "\(dir)/plain-\(name).json"] + arguments)
            XCTAssertEqual(a.status, 0, a.stderr)
            let b = try run(["train", "--data", "\(dir)/euro.csv", "--out", "\(dir)/euro-\(name).json"] + arguments)
            XCTAssertEqual(b.status, 0, b.stderr)
            let mp = try json("\(dir)/plain-\(name).json"), me = try json("\(dir)/euro-\(name).json")
            let fp = (mp["encoder"] as! [String: Any])["featureNames"] as! [String]
            let fe = (me["encoder"] as! [String: Any])["featureNames"] as! [String]
            XCTAssertEqual(fp, fe)
            XCTAssertTrue(fe.contains("annual_revenue") && fe.contains("open_rate") && fe.contains("pages_per_visit"), "\(fe)")
            let plainModel = mp["model"] as! [String: Any], euroModel = me["model"] as! [String: Any]
            if model == "logistic" {
                let cp = plainModel["coefficients"] as! [Double], ce = euroModel["coefficients"] as! [Double]
                XCTAssertEqual(cp.count, ce.count)
                for (x, y) in zip(cp, ce) { XCTAssertEqual(x, y, accuracy: 1e-9) }
                XCTAssertEqual(plainModel["intercept"] as! Double, euroModel["intercept"] as! Double, accuracy: 1e-9)
            } else {
                let tp = plainModel["trees"] as! [[String: Any]], te = euroModel["trees"] as! [[String: Any]]
                XCTAssertEqual(tp.count, te.count)
                for (x, y) in zip(tp, te) {
                    XCTAssertEqual(x["feature"] as! [Int], y["feature"] as! [Int])
                    for (u, v) in zip(x["value"] as! [Double], y["value"] as! [Double]) { XCTAssertEqual(u, v, accuracy: 1e-9) }
                }
            }
            // Scoring the European file with its model reads it as training did.
            let scored = try run(["predict", "--model", "\(dir)/euro-\(name).json", "--data", "\(dir)/euro.csv", "--out", "\(dir)/s.csv", "--reasons", "0"])
            XCTAssertEqual(scored.status, 0, scored.stderr)
            XCTAssertFalse(scored.stderr.contains("could not be read"), scored.stderr)
            let plainScored = try run(["predict", "--model", "\(dir)/plain-\(name).json", "--data", "\(dir)/plain.csv", "--out", "\(dir)/p.csv", "--reasons", "0"])
            XCTAssertEqual(plainScored.status, 0, plainScored.stderr)
            XCTAssertEqual(read("\(dir)/s.csv"), read("\(dir)/p.csv"))
        }
    }

    func testAProbableLeakIsLeftOutByDefaultAndKeptOnRequest() throws {
        let dir = tempDir()
        XCTAssertEqual(try run(["generate", "--leads", "1500", "--seed", "8", "--out", "\(dir)/gen.csv"]).status, 0)
        // A deal amount filled in only once a deal is won.
        let lines = read("\(dir)/gen.csv").split(separator: "\n").map(String.init)
        var out = [lines[0] + ",deal_amount"]
        for (k, line) in lines.dropFirst().enumerated() {
            out.append(line + "," + (line.hasSuffix(",1") ? "\(1000 + k * 13)" : ""))
        }
        write(out.joined(separator: "\n") + "\n", "\(dir)/leaky.csv")
        let r = try run(["train", "--data", "\(dir)/leaky.csv", "--target", "converted", "--model", "logistic", "--out", "\(dir)/m.json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("Left out 'deal_amount': a probable leak"), r.stdout)
        XCTAssertTrue(r.stdout.contains("--allow-leak \"deal_amount\""), r.stdout)
        let model = try json("\(dir)/m.json")
        let names = (model["encoder"] as! [String: Any])["featureNames"] as! [String]
        XCTAssertFalse(names.contains { $0.hasPrefix("deal_amount") }, "\(names)")
        let auc = ((model["training"] as! [String: Any])["holdout"] as! [String: Any])["auc"] as! Double
        XCTAssertLessThan(auc, 0.95)

        let j = try run(["train", "--data", "\(dir)/leaky.csv", "--target", "converted", "--model", "logistic", "--out", "\(dir)/m.json", "--json"])
        let summary = try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as! [String: Any]
        let leftOut = (summary["training"] as! [String: Any])["leftOut"] as! [[String: Any]]
        let entry = leftOut.first { $0["column"] as? String == "deal_amount" }
        XCTAssertNotNil(entry?["leakAUC"] as? Double, "\(leftOut)")
        XCTAssertTrue((entry?["reason"] as? String)?.contains("probable leak") == true)

        let kept = try run(["train", "--data", "\(dir)/leaky.csv", "--target", "converted", "--model", "logistic", "--out", "\(dir)/k.json",
                            "--allow-leak", "deal_amount"])
        XCTAssertEqual(kept.status, 0, kept.stderr)
        XCTAssertTrue(kept.stdout.contains("WARNING: kept 'deal_amount'"), kept.stdout)
        let keptNames = ((try json("\(dir)/k.json"))["encoder"] as! [String: Any])["featureNames"] as! [String]
        XCTAssertTrue(keptNames.contains("deal_amount"))
        let unknown = try run(["train", "--data", "\(dir)/leaky.csv", "--target", "converted", "--out", "\(dir)/u.json", "--allow-leak", "deal_amt"])
        XCTAssertEqual(unknown.status, 64)
        XCTAssertTrue(unknown.stderr.contains("did you mean 'deal_amount'"), unknown.stderr)
    }

    func testPredictKeepsLeadIdsDroppedAtTraining() throws {
        let dir = tempDir()
        XCTAssertEqual(try run(["generate", "--leads", "1200", "--seed", "4", "--out", "\(dir)/h.csv"]).status, 0)
        // An e-mail column: unique per row, named like nothing in particular.
        let lines = read("\(dir)/h.csv").split(separator: "\n").map(String.init)
        var out = [lines[0] + ",contact_email"]
        for (k, line) in lines.dropFirst().enumerated() { out.append(line + ",person\(k)@example.com") }
        write(out.joined(separator: "\n") + "\n", "\(dir)/leads.csv")
        let t = try run(["train", "--data", "\(dir)/leads.csv", "--target", "converted", "--model", "logistic",
                         "--drop", "lead_id,contact_email", "--out", "\(dir)/m.json"])
        XCTAssertEqual(t.status, 0, t.stderr)
        let p = try run(["predict", "--model", "\(dir)/m.json", "--data", "\(dir)/leads.csv", "--out", "\(dir)/s.csv",
                         "--keep", "country", "--reasons", "0"])
        XCTAssertEqual(p.status, 0, p.stderr)
        let scored = read("\(dir)/s.csv").split(separator: "\n")
        XCTAssertEqual(scored[0], "lead_id,contact_email,country,probability,score,tier")
        XCTAssertTrue(scored[1].hasPrefix("L0000001,person0@example.com,"), String(scored[1]))
    }

    func testExitCodesFollowSysexits() throws {
        let dir = tempDir()
        XCTAssertEqual(try run(["generate", "--leads", "600", "--seed", "2", "--out", "\(dir)/h.csv"]).status, 0)
        XCTAssertEqual(try run(["train", "--data", "\(dir)/h.csv", "--target", "converted", "--model", "logistic", "--out", "\(dir)/m.json"]).status, 0)

        // 66: an input that does not exist.
        let noData = try run(["predict", "--model", "\(dir)/m.json", "--data", "\(dir)/absent.csv", "--out", "\(dir)/o.csv"])
        XCTAssertEqual(noData.status, 66, noData.stderr)
        XCTAssertTrue(noData.stderr.contains("absent.csv"), noData.stderr)
        XCTAssertEqual(try run(["predict", "--model", "\(dir)/absent.json", "--data", "\(dir)/h.csv", "--out", "\(dir)/o.csv"]).status, 66)
        XCTAssertEqual(try run(["rules", "check", "--rules", "\(dir)/absent.yaml", "--data", "\(dir)/h.csv"]).status, 66)

        // 74: an output that cannot be written (a missing folder; a folder the process may not
        // write to: a read-only one, or /proc for root, whom permissions do not stop).
        XCTAssertEqual(try run(["train", "--data", "\(dir)/h.csv", "--target", "converted", "--out", "\(dir)/nope/m.json"]).status, 74)
        let readOnly: String
        if getuid() == 0 {
            readOnly = "/proc"
        } else {
            readOnly = dir + "/ro"
            try FileManager.default.createDirectory(atPath: readOnly, withIntermediateDirectories: true)
            chmod(readOnly, 0o555)
            addTeardownBlock { chmod(readOnly, 0o755) }
        }
        let denied = try run(["predict", "--model", "\(dir)/m.json", "--data", "\(dir)/h.csv", "--out", "\(readOnly)/s.csv"])
        XCTAssertEqual(denied.status, 74, denied.stderr)
        XCTAssertTrue(denied.stderr.contains("cannot write"), denied.stderr)

        // 75: the registry's lock held by another process.
        let registry = dir + "/models"
        let r = try run(["retrain", "--registry", registry, "--data", "\(dir)/h.csv", "--target", "converted"])
        XCTAssertEqual(r.status, 0, r.stderr)
        // This process takes the lock, as a second leadscore would.
        let fd = open("\(registry)/.lock", O_RDWR)
        XCTAssertGreaterThanOrEqual(fd, 0)
        XCTAssertEqual(flock(fd, LOCK_EX | LOCK_NB), 0)
        defer { flock(fd, LOCK_UN); close(fd) }
        let busy = try run(["models", "rollback", "--registry", registry])
        XCTAssertEqual(busy.status, 75, busy.stderr)
        XCTAssertTrue(busy.stderr.contains("try again"), busy.stderr)
    }

    func testBadInputFilesNeverCrash() throws {
        let dir = tempDir()
        // Columns of long digit runs and absurd dates: once a crash in the date parser.
        var csv = "id,iban,order,when,visits,converted\n"
        for i in 0..<300 {
            csv += "\(i),DE8937040044053201\(3000 + i),ORD-12345678901234567890\(i % 10),99999999999999999999-01-0\(i % 9 + 1),\(i % 17),\(i % 3 == 0 ? 1 : 0)\n"
        }
        write(csv, "\(dir)/odd.csv")
        let schema = try run(["schema", "\(dir)/odd.csv"])
        XCTAssertEqual(schema.status, 0, schema.stderr)
        let train = try run(["train", "--data", "\(dir)/odd.csv", "--target", "converted", "--model", "gbdt", "--trees", "10", "--out", "\(dir)/m.json"])
        XCTAssertEqual(train.status, 0, train.stderr)
        // A model file naming a feature that does not exist: refused, not a crash.
        var model = try json("\(dir)/m.json")
        var inner = model["model"] as! [String: Any]
        var trees = inner["trees"] as! [[String: Any]]
        var feature = trees[0]["feature"] as! [Int]
        if let i = feature.firstIndex(where: { $0 >= 0 }) { feature[i] = 77 }
        trees[0]["feature"] = feature
        inner["trees"] = trees
        model["model"] = inner
        try JSONSerialization.data(withJSONObject: model).write(to: URL(fileURLWithPath: "\(dir)/bad.json"))
        let p = try run(["predict", "--model", "\(dir)/bad.json", "--data", "\(dir)/odd.csv", "--out", "\(dir)/s.csv"])
        XCTAssertEqual(p.status, 65, p.stderr)
        XCTAssertTrue(p.stderr.contains("feature 77 out of range"), p.stderr)
    }
}
