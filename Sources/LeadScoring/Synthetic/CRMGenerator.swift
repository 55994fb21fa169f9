import Foundation

/// Writes a realistic synthetic CRM export, deterministic per seed.
///
/// Each lead has a hidden buying intent and a firmographic fit. Behaviour (visits, pricing-page
/// views, webinars, demo requests, e-mail engagement) is drawn from the intent; `converted` is
/// drawn from a hidden log-odds with **diminishing returns** (log visits, saturating pricing
/// views), **interactions** (a senior buyer who viewed pricing twice; a webinar that matters more
/// after a pricing visit) and a company-size **sweet spot**, so that trees can beat a linear
/// model. Missing values and form placeholders (`Select`) appear as in real exports.
///
/// Rows are generated and written one at a time, so memory stays flat for any number of leads.
public struct CRMGenerator: Sendable {
    public var seed: UInt64
    /// The export date: created and activity dates fall before it.
    public static let asOfDays = DateParser.daysFromCivil(2026, 11, 1)
    static let firstCreatedDays = DateParser.daysFromCivil(2025, 1, 1)

    public static let header = [
        "lead_id", "created_date", "lead_source", "country", "industry", "company_size", "job_title",
        "seniority", "occupation", "website_visits", "time_on_site_sec", "pages_per_visit",
        "pricing_page_views", "whitepaper_downloads", "webinar_attended", "demo_requested",
        "emails_opened", "emails_clicked", "unsubscribed", "last_activity_date", "converted",
    ]

    static let sources: [(String, Double, Double)] = [  // name, share, effect on log-odds
        ("Organic Search", 0.22, 0.1), ("Paid Search", 0.18, -0.1), ("Referral", 0.08, 0.5),
        ("Webinar", 0.07, 0.3), ("Trade Show", 0.05, 0.3), ("Social Media", 0.12, -0.35),
        ("Email Campaign", 0.12, 0.0), ("Partner", 0.06, 0.4), ("Direct", 0.10, 0.15),
    ]
    static let countries: [(String, Double)] = [
        ("United States", 0.33), ("United Kingdom", 0.10), ("Germany", 0.08), ("France", 0.06),
        ("Canada", 0.06), ("India", 0.10), ("Australia", 0.05), ("Netherlands", 0.03), ("Brazil", 0.04),
        ("Spain", 0.03), ("Japan", 0.03), ("Singapore", 0.02), ("Mexico", 0.02), ("Israel", 0.02),
        ("China", 0.02), ("South Africa", 0.01),
    ]
    static let countryEffect: [String: Double] = ["India": -0.4, "Brazil": -0.2, "United States": 0.15, "Germany": 0.1]
    static let industries: [(String, Double, Double)] = [
        ("Software", 0.18, 0.45), ("Financial Services", 0.12, 0.3), ("Healthcare", 0.10, 0.2),
        ("Manufacturing", 0.12, 0.1), ("Retail", 0.09, -0.1), ("Education", 0.08, -0.3),
        ("Professional Services", 0.10, 0.15), ("Media", 0.05, -0.1), ("Telecommunications", 0.05, 0.1),
        ("Government", 0.04, -0.4), ("Non-profit", 0.03, -0.5), ("Logistics", 0.04, 0.05),
    ]
    static let seniorities: [(String, Double, Double)] = [
        ("Entry", 0.30, -0.4), ("Manager", 0.32, 0.1), ("Director", 0.18, 0.5), ("VP", 0.10, 0.7), ("C-Level", 0.10, 0.6),
    ]
    static let functions = ["Marketing", "Sales", "IT", "Operations", "Finance", "HR", "Engineering"]
    static let chiefTitles = ["Marketing": "CMO", "Sales": "CRO", "IT": "CIO", "Operations": "COO",
                              "Finance": "CFO", "HR": "CHRO", "Engineering": "CTO"]
    static let occupations: [(String, Double)] = [
        ("Working Professional", 0.62), ("Business Owner", 0.10), ("Student", 0.08), ("Unemployed", 0.05),
        ("Other", 0.05), ("Select", 0.10),
    ]

    public init(seed: UInt64) { self.seed = seed }

    /// The header of the activity log written with `events`.
    public static let eventHeader = ["lead_id", "activity", "timestamp", "value"]

    /// Writes `leads` rows (plus the header) to `path` atomically, and with `events` an
    /// activity log consistent with them (see `appendEvents`). The leads file is the same with
    /// or without the log. `progress` gets the row count every 100,000 rows.
    public func write(leads: Int, to path: String, events eventsPath: String? = nil, progress: ((Int) -> Void)? = nil) throws {
        let file = try AtomicFile(path: path)
        let eventFile = try eventsPath.map { try AtomicFile(path: $0) }
        var rng = SeededGenerator(seed: seed)
        var out: [UInt8] = [], eventOut: [UInt8] = []
        out.reserveCapacity(1 << 17)
        out.append(contentsOf: CRMGenerator.header.joined(separator: ",").utf8)
        out.append(0x0A)
        eventOut.append(contentsOf: CRMGenerator.eventHeader.joined(separator: ",").utf8)
        eventOut.append(0x0A)
        for i in 0..<leads {
            let facts = appendLead(index: i, rng: &rng, to: &out)
            if eventFile != nil { appendEvents(facts, index: i, to: &eventOut) }
            if out.count >= 1 << 16 { try file.write(bytes: out); out.removeAll(keepingCapacity: true) }
            if let eventFile, eventOut.count >= 1 << 16 { try eventFile.write(bytes: eventOut); eventOut.removeAll(keepingCapacity: true) }
            if let progress, (i + 1) % 100_000 == 0 { progress(i + 1) }
        }
        try file.write(bytes: out)
        if let eventFile { try eventFile.write(bytes: eventOut) }
        // Both files appear together or not at all (as far as two renames allow).
        try eventFile?.commit()
        try file.commit()
    }

    /// What one lead did, as the leads row states it: the source of its activity log.
    struct LeadFacts {
        var created: Int
        /// Days since 1970 of the last activity; nil when the lead shows none.
        var lastActivity: Int?
        var visits: Int, pricing: Int, whitepapers: Int, opened: Int, clicked: Int
        var webinar: Bool, demo: Bool, unsubscribed: Bool
        var pagesPerVisit: Double
    }

    /// The lead's events, one line each: as many website visits, pricing-page views, whitepaper
    /// downloads, e-mail opens and clicks as its row counts, a webinar, demo request and
    /// unsubscribe when its row says so. Each happens at a random time between the lead's
    /// creation and its last activity date, and the latest falls on that date, so the log and
    /// the row agree. Website visits carry the pages viewed as their value. Deterministic per
    /// seed and lead, from a random stream of its own.
    func appendEvents(_ f: LeadFacts, index: Int, to out: inout [UInt8]) {
        var rng = SeededGenerator(seed: (seed ^ 0x0E7E_175E_ED00_0000) &+ UInt64(index) &* 0xD6E8_FEB8_6659_FD93)
        var events: [(seconds: Int, activity: String, value: Int?)] = []
        let first = f.created * 86_400, last = (f.lastActivity ?? f.created) * 86_400
        func at() -> Int { first + Int(rng.uniform() * Double(last + 86_399 - first)) }
        func add(_ activity: String, _ count: Int, value: (() -> Int)? = nil) {
            for _ in 0..<count { events.append((at(), activity, value?())) }
        }
        add("website_visit", f.visits) { max(1, Int((f.pagesPerVisit * (0.5 + rng.uniform())).rounded())) }
        add("pricing_page_view", f.pricing)
        add("whitepaper_download", f.whitepapers)
        add("email_opened", f.opened)
        add("email_clicked", f.clicked)
        if f.webinar { add("webinar_attended", 1) }
        if f.demo { add("demo_requested", 1) }
        if f.unsubscribed { add("unsubscribed", 1) }
        guard !events.isEmpty else { return }
        events.sort { $0.seconds < $1.seconds }
        // The latest event falls on the last activity date (the row's `last_activity_date`).
        if f.lastActivity != nil, events[events.count - 1].seconds < last {
            events[events.count - 1].seconds = last + Int(rng.uniform() * 86_399)
        }
        let id = "L" + String(index + 1).leftPadded(to: 7)
        for e in events {
            out.append(contentsOf: id.utf8); out.append(0x2C)
            out.append(contentsOf: e.activity.utf8); out.append(0x2C)
            let days = e.seconds / 86_400, secs = e.seconds % 86_400
            out.append(contentsOf: DateParser.isoDate(days: days).utf8)
            out.append(0x54)
            for (k, part) in [secs / 3600, secs / 60 % 60, secs % 60].enumerated() {
                if k > 0 { out.append(0x3A) }
                if part < 10 { out.append(0x30) }
                appendInt(part, to: &out)
            }
            out.append(0x5A); out.append(0x2C)
            if let v = e.value { appendInt(v, to: &out) }
            out.append(0x0A)
        }
    }

    // MARK: - one lead

    /// Who a lead is: drawn first.
    struct Profile {
        var created: Int
        var source: (String, Double)
        var country: String
        var industry: (String, Double)
        var seniority: (String, Double)
        var occupation: String
        var companySize: Int
        var title: String
    }

    /// What a lead did, driven by a hidden intent.
    struct Behaviour {
        var visits: Int, timeOnSite: Int, pagesPerVisit: Double, pricing: Int, whitepapers: Int
        var webinar: Bool, demo: Bool, opened: Int, clicked: Int, unsubscribed: Bool
        /// Days between the last activity and the export.
        var recency: Int
        var noActivity: Bool
    }

    /// Draws one lead (profile, behaviour, outcome) and appends its CSV row. The random draws
    /// happen in a fixed order, so a seed gives the same file on every machine.
    @discardableResult
    func appendLead(index: Int, rng: inout SeededGenerator, to out: inout [UInt8]) -> LeadFacts {
        let profile = drawProfile(&rng)
        let behaviour = drawBehaviour(profile, &rng)
        let converted = rng.bernoulli(sigmoid(conversionLogit(profile, behaviour)))
        writeRow(index: index, profile, behaviour, converted: converted, rng: &rng, to: &out)
        let b = behaviour
        return LeadFacts(created: profile.created, lastActivity: b.noActivity ? nil : CRMGenerator.asOfDays - b.recency,
                         visits: b.visits, pricing: b.pricing, whitepapers: b.whitepapers, opened: b.opened, clicked: b.clicked,
                         webinar: b.webinar, demo: b.demo, unsubscribed: b.unsubscribed, pagesPerVisit: b.pagesPerVisit)
    }

    func drawProfile(_ rng: inout SeededGenerator) -> Profile {
        let createdSpan = CRMGenerator.asOfDays - CRMGenerator.firstCreatedDays
        let created = CRMGenerator.firstCreatedDays + Int(rng.uniform() * Double(createdSpan))
        let source = rng.pick(CRMGenerator.sources.map { (($0.0, $0.2), $0.1) })
        let country = rng.pick(CRMGenerator.countries)
        let industry = rng.pick(CRMGenerator.industries.map { (($0.0, $0.2), $0.1) })
        let seniority = rng.pick(CRMGenerator.seniorities.map { (($0.0, $0.2), $0.1) })
        let occupation = rng.pick(CRMGenerator.occupations)
        let function = CRMGenerator.functions[Int(rng.uniform() * Double(CRMGenerator.functions.count))]
        let logSize = 2.1 + 0.75 * rng.normal()  // log10 employees: median ~125
        let companySize = max(1, Int(pow(10, logSize).rounded()))
        let title: String
        if occupation == "Student" { title = rng.bernoulli(0.5) ? "Student" : "Intern" }
        else {
            switch seniority.0 {
            case "Entry": title = "\(function) Specialist"
            case "Manager": title = "\(function) Manager"
            case "Director": title = "Director of \(function)"
            case "VP": title = "VP \(function)"
            default: title = CRMGenerator.chiefTitles[function] ?? "Chief \(function) Officer"
            }
        }
        return Profile(created: created, source: source, country: country, industry: industry, seniority: seniority,
                       occupation: occupation, companySize: companySize, title: title)
    }

    func drawBehaviour(_ p: Profile, _ rng: inout SeededGenerator) -> Behaviour {
        let intent = rng.normal() + (p.source.0 == "Referral" || p.source.0 == "Webinar" ? 0.3 : 0)
        let visits = rng.poisson(exp(0.9 + 0.55 * intent))
        let timeOnSite = visits == 0 ? 0 : Int((Double(visits) * exp(4.6 + 0.25 * intent + 0.6 * rng.normal())).rounded())
        let pagesPerVisit = visits == 0 ? 0 : max(1, exp(0.8 + 0.15 * intent + 0.35 * rng.normal()))
        let pricing = visits == 0 ? 0 : rng.poisson(0.35 * exp(0.9 * intent))
        let whitepapers = rng.poisson(0.25 * exp(0.4 * intent))
        let webinar = rng.bernoulli(sigmoid(-2.0 + 0.5 * intent + (p.source.0 == "Webinar" ? 1.5 : 0)))
        let demo = rng.bernoulli(sigmoid(-3.3 + 0.9 * intent + (p.seniority.0 == "Entry" ? -0.3 : 0.2)))
        let opened = rng.poisson(exp(1.3 + 0.3 * intent))
        var clicked = 0
        for _ in 0..<opened where rng.bernoulli(sigmoid(-1.8 + 0.4 * intent)) { clicked += 1 }
        let unsubscribed = rng.bernoulli(sigmoid(-3.0 - 0.5 * intent))
        let activeSpan = CRMGenerator.asOfDays - p.created
        // Recency: engaged leads were active recently.
        let recency = min(activeSpan, Int(Double(activeSpan) * pow(rng.uniform(), 1.0 + 0.8 * max(0, intent + 1))))
        return Behaviour(visits: visits, timeOnSite: timeOnSite, pagesPerVisit: pagesPerVisit, pricing: pricing, whitepapers: whitepapers,
                         webinar: webinar, demo: demo, opened: opened, clicked: clicked, unsubscribed: unsubscribed, recency: recency,
                         noActivity: visits == 0 && opened == 0 && !webinar && !demo)
    }

    /// The hidden truth: the log-odds of converting, with the shapes real scoring must learn
    /// (a sweet spot, diminishing returns, saturation, an interaction, fading inactivity).
    func conversionLogit(_ p: Profile, _ b: Behaviour) -> Double {
        let log10Size = log10(Double(p.companySize))
        var z = -3.05
        z += p.source.1 + p.industry.1 + p.seniority.1 + (CRMGenerator.countryEffect[p.country] ?? 0)
        z += 0.7 * exp(-pow(log10Size - 2.7, 2) / 0.5)                    // sweet spot near 500 employees
        z += 0.45 * log1p(Double(b.visits))                                   // diminishing returns
        z += 1.1 * (1 - exp(-Double(b.pricing) / 1.5))                        // saturating
        z += 0.3 * tanh((Double(b.timeOnSite) / 60 - 8) / 8)
        z += b.demo ? 1.4 : 0
        z += b.webinar ? (b.pricing > 0 ? 0.8 : 0.25) : 0                    // interaction
        if (p.seniority.0 == "Director" || p.seniority.0 == "VP" || p.seniority.0 == "C-Level") && b.pricing >= 2 { z += 0.7 }
        z += 0.25 * Double(b.clicked).squareRoot()
        z += 0.15 * Double(min(b.whitepapers, 3))
        if p.occupation == "Student" { z -= 1.6 }
        if p.occupation == "Unemployed" { z -= 0.8 }
        if p.occupation == "Business Owner" { z += 0.3 }
        if b.unsubscribed { z -= 1.0 }
        z -= b.noActivity ? 1.0 : 0.9 * (1 - exp(-Double(b.recency) / 60))     // inactivity
        return z
    }

    /// The lead's row, with the missing values and placeholders real exports have.
    func writeRow(index: Int, _ p: Profile, _ b: Behaviour, converted: Bool, rng: inout SeededGenerator, to out: inout [UInt8]) {
        func field(_ s: String) {
            RecordWriter.appendCSVField(s, to: &out)
            out.append(0x2C)
        }
        func int(_ v: Int) { appendInt(v, to: &out); out.append(0x2C) }
        func date(_ days: Int) {
            let (y, m, d) = DateParser.civilFromDays(days)
            appendInt(y, to: &out); out.append(0x2D)
            if m < 10 { out.append(0x30) }; appendInt(m, to: &out); out.append(0x2D)
            if d < 10 { out.append(0x30) }; appendInt(d, to: &out); out.append(0x2C)
        }
        field("L" + String(index + 1).leftPadded(to: 7))
        date(p.created)
        field(p.source.0)
        field(rng.bernoulli(0.05) ? "" : p.country)
        let r = rng.uniform()
        field(r < 0.04 ? "" : r < 0.07 ? "Select" : p.industry.0)
        if rng.bernoulli(0.08) { field("") } else { int(p.companySize) }
        field(rng.bernoulli(0.03) ? "" : p.title)
        field(rng.bernoulli(0.05) ? "" : p.seniority.0)
        field(p.occupation)
        int(b.visits)
        if rng.bernoulli(0.01) { field("N/A") } else { int(b.timeOnSite) }
        if b.visits == 0 { field("") } else {
            let tenths = Int((b.pagesPerVisit * 10).rounded())
            appendInt(tenths / 10, to: &out); out.append(0x2E); appendInt(tenths % 10, to: &out); out.append(0x2C)
        }
        int(b.pricing)
        int(b.whitepapers)
        field(b.webinar ? "Yes" : "No")
        field(b.demo ? "Yes" : "No")
        int(b.opened)
        int(b.clicked)
        field(b.unsubscribed ? "Yes" : "No")
        if b.noActivity { field("") } else { date(CRMGenerator.asOfDays - b.recency) }
        out.append(converted ? 0x31 : 0x30)
        out.append(0x0A)
    }
}

extension SeededGenerator {
    /// One of `items` with probability its share.
    mutating func pick<T>(_ items: [(T, Double)]) -> T {
        var u = uniform()
        for (item, share) in items { u -= share; if u < 0 { return item } }
        return items[items.count - 1].0
    }

    /// A standard normal draw (Box–Muller).
    mutating func normal() -> Double {
        let u1 = max(uniform(), 1e-300), u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }

    mutating func poisson(_ lambda: Double) -> Int {
        if lambda > 30 { return max(0, Int((lambda + lambda.squareRoot() * normal()).rounded())) }
        let l = exp(-lambda)
        var k = 0, p = 1.0
        repeat { k += 1; p *= uniform() } while p > l
        return k - 1
    }

    mutating func bernoulli(_ p: Double) -> Bool { uniform() < p }
}

@inline(__always)
func appendInt(_ value: Int, to out: inout [UInt8]) {
    if value < 0 { out.append(0x2D); appendInt(-value, to: &out); return }
    if value >= 10 { appendInt(value / 10, to: &out) }
    out.append(UInt8(0x30 + value % 10))
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
