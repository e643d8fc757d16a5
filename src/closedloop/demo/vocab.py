"""Words the demo draws from: people's and companies' names, countries, personas and their titles,
content assets, site pages. Plain data; the order matters for determinism, so append only."""

FIRST_NAMES = (
    "Aaliyah", "Adam", "Adrian", "Aisha", "Alan", "Alice", "Amara", "Amir", "Ana", "Andrea", "Anna",
    "Arjun", "Ben", "Bianca", "Brian", "Camille", "Carlos", "Caroline", "Chloe", "Chris", "Claire",
    "Daniel", "David", "Diana", "Diego", "Elena", "Eli", "Emma", "Erik", "Eva", "Felix", "Fiona",
    "Gabriel", "Grace", "Hannah", "Hana", "Henrik", "Hugo", "Ibrahim", "Ines", "Isaac", "Ivy", "Jack",
    "James", "Jana", "Jasmine", "Javier", "Jess", "Joao", "Jonas", "Julia", "Kai", "Karin", "Kate",
    "Kenji", "Kofi", "Laura", "Leo", "Liam", "Lina", "Lucas", "Lucy", "Malik", "Marco", "Maria",
    "Mark", "Marta", "Mateo", "Mei", "Mia", "Michael", "Mohammed", "Nadia", "Naomi", "Nathan", "Nils",
    "Noah", "Nora", "Olivia", "Oscar", "Pablo", "Paul", "Pedro", "Petra", "Rachel", "Rafael", "Rahul",
    "Rosa", "Ryan", "Sara", "Sean", "Simone", "Sofia", "Sophie", "Stefan", "Tara", "Theo", "Thomas",
    "Uma", "Victor", "Wei", "Yara", "Yusuf", "Zoe",
)  # fmt: skip
LAST_NAMES = (
    "Adams", "Ahmed", "Alvarez", "Andersson", "Baker", "Bauer", "Becker", "Bennett", "Berg", "Brooks",
    "Brown", "Campbell", "Carter", "Chen", "Clarke", "Costa", "Cruz", "Davies", "Dubois", "Edwards",
    "Evans", "Fischer", "Fernandez", "Garcia", "Green", "Gupta", "Hall", "Hansen", "Harris", "Hughes",
    "Ibrahim", "Jansen", "Johansson", "Johnson", "Jones", "Khan", "Kim", "King", "Klein", "Kumar",
    "Larsen", "Lee", "Lewis", "Lopez", "Martin", "Martinez", "Meyer", "Miller", "Moore", "Morales",
    "Murphy", "Nguyen", "Nielsen", "Novak", "OBrien", "Okafor", "Olsen", "Park", "Patel", "Perez",
    "Petrov", "Phillips", "Quinn", "Ramos", "Reyes", "Richter", "Roberts", "Rossi", "Russo", "Santos",
    "Schmidt", "Schneider", "Scott", "Shah", "Silva", "Singh", "Smith", "Sousa", "Stewart", "Suzuki",
    "Tanaka", "Taylor", "Thomas", "Thompson", "Turner", "Visser", "Wagner", "Walker", "Wang", "Watson",
    "Weber", "White", "Williams", "Wilson", "Wright", "Wu", "Yamamoto", "Young", "Zhang", "Zimmermann",
)  # fmt: skip

# Industries Northwind sells to, each with the words its companies are named after.
INDUSTRIES = (
    ("Logistics", ("Freight", "Logistics", "Transport", "Shipping")),
    ("Manufacturing", ("Manufacturing", "Industries", "Components", "Works")),
    ("Field services", ("Field Services", "Maintenance", "Facilities", "Service Group")),
    ("Wholesale distribution", ("Distribution", "Supply", "Wholesale", "Trading")),
    ("Retail", ("Retail", "Stores", "Outfitters", "Market")),
    ("Food & beverage", ("Foods", "Beverages", "Bakeries", "Kitchens")),
    ("Construction", ("Builders", "Construction", "Contractors", "Engineering")),
    ("Healthcare", ("Health", "Clinics", "Medical", "Care")),
)
INDUSTRY_WEIGHTS = (0.2, 0.18, 0.14, 0.14, 0.1, 0.1, 0.08, 0.06)
NAME_PREFIXES = (
    "Alder", "Anchor", "Apex", "Arbor", "Ash", "Atlas", "Beacon", "Birch", "Blue Ridge", "Bluepeak",
    "Bright", "Cedar", "Clear", "Coastal", "Compass", "Copper", "Crest", "Delta", "Eastgate", "Elm",
    "Emerald", "Evergreen", "Falcon", "Fjord", "Granite", "Harbor", "Harborline", "Hawk", "Highland",
    "Horizon", "Iron", "Ironbridge", "Juniper", "Keystone", "Lake", "Linden", "Maple", "Meridian",
    "Millstone", "Nordic", "North Star", "Oak", "Orion", "Pacific", "Paragon", "Pine", "Pioneer",
    "Prairie", "Quarry", "Redwood", "Ridge", "River", "Riverside", "Rock", "Sage", "Silver", "Sterling",
    "Stone", "Summit", "Sun", "Tidal", "Timber", "Trinity", "Union", "Valley", "Vantage", "Willow",
    "Windmill", "Zenith",
)  # fmt: skip
NAME_QUALIFIERS = ("", "Atlantic ", "Central ", "Global ", "Metro ", "National ", "United ")

# Countries: (name, [(time zone, weight)], weight, legal suffixes for company names).
COUNTRIES = (
    ("United States", (("America/New_York", 0.5), ("America/Chicago", 0.25), ("America/Los_Angeles", 0.25)),
     0.46, ("Inc.", "LLC", "Corp.", "")),
    ("Canada", (("America/Toronto", 1.0),), 0.07, ("Inc.", "Ltd.", "")),
    ("United Kingdom", (("Europe/London", 1.0),), 0.14, ("Ltd", "plc", "")),
    ("Germany", (("Europe/Berlin", 1.0),), 0.1, ("GmbH", "AG", "")),
    ("Netherlands", (("Europe/Amsterdam", 1.0),), 0.06, ("B.V.", "")),
    ("France", (("Europe/Paris", 1.0),), 0.05, ("SAS", "SA", "")),
    ("Sweden", (("Europe/Stockholm", 1.0),), 0.05, ("AB", "")),
    ("Australia", (("Australia/Sydney", 1.0),), 0.07, ("Pty Ltd", "")),
)  # fmt: skip

# Personas: (key, titles, weight among contacts). Multipliers on stage conversion live in funnel.py.
PERSONAS = (
    (
        "ops_manager",
        ("Operations Manager", "Head of Operations", "Director of Operations", "VP Operations"),
        0.32,
    ),
    ("it_director", ("IT Director", "Head of IT", "CIO", "IT Manager"), 0.17),
    ("cfo", ("CFO", "Finance Director", "VP Finance"), 0.11),
    ("founder", ("Founder & CEO", "Co-founder", "Managing Director", "Owner"), 0.12),
    ("analyst", ("Operations Analyst", "Business Analyst", "Data Analyst", "BI Analyst"), 0.28),
)

# Content: top-of-funnel assets that make an IQL, bottom-of-funnel ones that show buying intent.
TOFU_ASSETS = (
    "The Ops KPI Playbook (ebook)",
    "State of Field Operations report",
    "Warehouse throughput checklist",
    "Downtime cost calculator",
    "Ten dashboards every ops team needs (guide)",
)
BOFU_ASSETS = (
    "Buyer's guide to operations analytics",
    "Case study: Harborline Freight",
    "ROI worksheet",
    "Northwind Ops security overview",
)
WEBINARS = (
    "Reducing downtime with live ops dashboards",
    "From spreadsheets to a single ops view",
    "Forecasting field-service demand",
    "Warehouse KPIs that predict late shipments",
    "Ops analytics for finance leaders",
    "Live demo: Northwind Ops in 30 minutes",
    "Benchmarking your operations against peers",
)
BLOG_PATHS = (
    "/blog/ops-kpis-that-matter",
    "/blog/reduce-unplanned-downtime",
    "/blog/on-time-in-full-explained",
    "/blog/spreadsheet-ops-reporting-pitfalls",
    "/blog/field-service-first-time-fix-rate",
    "/blog/warehouse-pick-rate-benchmarks",
)
PRODUCT_PATHS = ("/product", "/product/dashboards", "/product/integrations", "/customers", "/security")
PRICING_PATH = "/pricing"
EMAIL_SUBJECTS = (
    "Your Ops KPI Playbook is inside",
    "3 dashboards ops leaders open every morning",
    "How Harborline cut late shipments by 31%",
    "What does an hour of downtime cost you?",
    "Invitation: live ops dashboards webinar",
    "The spreadsheet trap in operations reporting",
    "Benchmarks: how do your KPIs compare?",
    "Last call: Field Ops Summit discount",
)

PRODUCTS = ("Northwind Ops Starter", "Northwind Ops Professional", "Northwind Ops Enterprise")
LOST_REASONS = ("no budget", "chose competitor", "no decision", "timing", "not a fit")
LOST_REASON_WEIGHTS = (0.24, 0.24, 0.26, 0.16, 0.10)
