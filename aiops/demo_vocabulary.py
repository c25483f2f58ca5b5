"""Vocabulary tables for the demo helpdesk generator (see ``aiops.demo_data``).

Pure data, no logic. The demo organisation is "Cloudpeak", a SaaS suite for small
businesses (scheduling, invoicing, inventory, point of sale) that also sells a few
hardware devices, so its support desk sees billing, shipping and API tickets alike.

Templates use ``str.format`` slots; every slot name must be produced by
``aiops.demo_data._ticket_slots``. Each intent (sub-issue) has:

- ``subjects``: subject-line templates,
- ``leads``: sentences stating the problem (one is always used),
- ``details``: extra sentences (a random subset is used, shuffled),
- ``resolutions``: agent-written answers (one is used for resolved/closed tickets),
- ``priority`` / ``sentiment``: keys into the prior tables below.

Each category also lists ``confusable_with`` (related categories that ambiguous tickets
borrow from) and, optionally, ``tech`` (tickets often mention browser/OS/device).
"""

BRAND = "Cloudpeak"

# The word lists and phrase tables below are kept compact on purpose.
# fmt: off

# --- people, companies, products -------------------------------------------------

FIRST_NAMES = (
    "James", "Maria", "Wei", "Aisha", "Lukas", "Sofia", "Daniel", "Priya", "Tom", "Elena",
    "Mohammed", "Hannah", "Carlos", "Yuki", "Olivia", "Ben", "Fatima", "Jonas", "Grace",
    "Mateo", "Chloe", "Raj", "Emma", "Kwame", "Laura", "Pavel", "Nina", "Diego", "Sarah",
    "Ahmed", "Julia", "Ivan", "Mei", "Patrick", "Zara", "Oscar", "Anna", "Samuel", "Leila",
    "Marco", "Ingrid", "Tariq", "Rachel", "Lars", "Camille", "Noah", "Amara", "Felix",
)
LAST_NAMES = (
    "Smith", "Garcia", "Chen", "Khan", "Müller", "Rossi", "Okafor", "Patel", "Johnson",
    "Novak", "Kim", "Schmidt", "Silva", "Tanaka", "Brown", "Nguyen", "Ali", "Larsen",
    "O'Brien", "Dubois", "Kowalski", "Hernandez", "Wilson", "Ivanova", "Mensah", "Cohen",
    "Lopez", "Fischer", "Andersson", "Murphy", "Singh", "Costa", "Yamamoto", "Taylor",
)
COMPANY_WORDS = (
    "Acme", "Bluefin", "Cedar", "Harbor", "Juniper", "Maple", "Northstar", "Orchid",
    "Pinecrest", "Quartz", "Redwood", "Silverline", "Summit", "Tidewater", "Urban",
    "Willow", "Brightside", "Copperleaf", "Evergreen", "Ironbridge", "Lakeside", "Sunny",
)
COMPANY_KINDS = (
    "Dental", "Bakery", "Logistics", "Fitness", "Studio", "Consulting", "Retail", "Cafe",
    "Vet Clinic", "Salon", "Hardware", "Florist", "Auto Repair", "Books", "Physio", "Labs",
)
AGENTS = ("Alex", "Jordan", "Sam", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Robin")
PLANS = ("Starter", "Growth", "Business", "Enterprise")
PRODUCTS = (
    "Scheduler", "Invoicing", "Inventory", "Point of Sale", "Reports", "Dashboard",
    "Customer Portal", "Workflow Builder", "Timesheets",
)
HARDWARE = ("Hub Mini", "Hub Pro", "card reader", "receipt printer", "barcode scanner")
DEVICES = (
    "iPhone 13", "iPhone 15", "Pixel 8", "Galaxy S23", "Galaxy Tab A8", "iPad Air",
    "MacBook Air", "ThinkPad", "Surface Pro", "Dell laptop",
)
BROWSERS = ("Chrome", "Firefox", "Safari", "Edge")
OPERATING_SYSTEMS = ("Windows 11", "Windows 10", "macOS Sonoma", "macOS Ventura", "iOS 17",
                     "Android 14", "Ubuntu 22.04")
INTEGRATIONS = (
    "Salesforce", "Slack", "Shopify", "QuickBooks", "HubSpot", "Zapier", "Google Calendar",
    "Microsoft Teams", "Xero", "Stripe", "Mailchimp", "Outlook",
)
FEATURES = (
    "dark mode", "bulk editing", "recurring invoices", "custom fields", "a Gantt view",
    "multi-currency support", "offline mode", "an audit log", "saved filters",
    "appointment reminders by SMS", "barcode labels", "a customer loyalty program",
    "split payments", "shift swapping", "two-way calendar sync", "scheduled reports",
)
REPORTS = (
    "monthly revenue report", "sales by staff report", "stock valuation report",
    "tax summary", "end-of-day report", "payroll export", "profit and loss report",
)
FILE_TYPES = ("CSV", "Excel", "PDF", "JSON")
CARRIERS = ("UPS", "FedEx", "DHL", "USPS", "Royal Mail", "DPD")
COUNTRIES = ("Canada", "Germany", "the UK", "Australia", "Mexico", "Ireland", "Norway")
WEBHOOK_EVENTS = ("invoice.paid", "booking.created", "order.updated", "customer.deleted",
                  "payment.failed", "stock.low")
ENDPOINTS = ("/v2/orders", "/v2/customers", "/v2/invoices", "/v2/bookings",
             "/v2/products", "/v2/payments")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
CITIES = ("Austin", "Leeds", "Toronto", "Denver", "Cork", "Portland", "Bristol", "Perth",
          "Madison", "Lyon", "Hamburg", "Raleigh")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# --- priors (low, medium, high) and (negative, neutral, positive) -------------------

PRIORITY_PRIORS = {
    "critical": (0.04, 0.26, 0.70),
    "elevated": (0.12, 0.48, 0.40),
    "normal": (0.28, 0.52, 0.20),
    "minor": (0.60, 0.33, 0.07),
}
SENTIMENT_PRIORS = {
    "angry": (0.68, 0.24, 0.08),
    "mixed": (0.40, 0.40, 0.20),
    "calm": (0.18, 0.50, 0.32),
    "friendly": (0.08, 0.42, 0.50),
}

# --- tone and urgency cues -----------------------------------------------------------

GREETINGS = (
    "Hi,", "Hello,", "Hi team,", "Hello {brand} support,", "Hey there,", "Good morning,",
    "Dear Support Team,", "Hi {brand},", "Hello there,", "Good afternoon,", "Hi folks,",
)
SIGN_OFFS = (
    "Thanks,\n{first_name}", "Best,\n{full_name}\n{company}", "Regards,\n{full_name}",
    "Cheers,\n{first_name}", "- {first_name}", "Kind regards,\n{full_name}",
    "Thank you,\n{first_name} ({company})", "{full_name}\nSent from my phone",
)
TONE_OPENERS = {
    "negative": (
        "I'm really frustrated with this.", "This is completely unacceptable.",
        "Honestly, I'm very disappointed.", "This is the third time I'm contacting you about this.",
        "I'm extremely annoyed right now.", "Your service has been terrible lately.",
        "I'm losing patience here.", "This is ridiculous.", "Not happy at all.",
        "I can't believe this is still happening.", "Frankly this is a mess.",
    ),
    "neutral": (
        "Writing about the following.", "Quick question.", "Reporting an issue.",
        "I'd like some help with something.", "Following up on something we noticed.",
        "Here are the details.", "I have a question about our account.",
    ),
    "positive": (
        "First of all, we love {brand}!", "Thanks for the great product.",
        "Your team has always been super helpful.", "Hope you're having a great day!",
        "Big fan of {brand} so far.", "Thanks for all the recent improvements.",
        "We've been really happy with {brand} overall.",
    ),
}
TONE_CLOSERS = {
    "negative": (
        "If this isn't fixed soon we will be cancelling.", "Very unhappy customer.",
        "I expect a proper answer this time.", "Seriously considering switching to a competitor.",
        "This is costing us customers and I'm fed up.", "Terrible experience so far.",
        "Please don't send me another canned reply.", "Extremely disappointed.",
    ),
    "neutral": (
        "Please advise.", "Let me know what you need from me.", "Thanks.",
        "Let me know.", "Looking forward to your reply.", "Details are above.",
    ),
    "positive": (
        "Thanks so much in advance!", "Really appreciate your help, you're awesome.",
        "Keep up the great work!", "Many thanks, much appreciated!",
        "Thanks again, love the product.", "You folks are great, thank you!",
        "Appreciate the quick support as always :)",
    ),
}
URGENCY_CUES = {
    "high": (
        "This is urgent.", "Please treat this as urgent!", "We need this fixed ASAP.",
        "It's down for all users.", "This is blocking our entire team.",
        "We are losing money every hour this continues.",
        "Our customers can't pay us right now.", "Please escalate this immediately.",
        "This is business critical.", "We have a big launch tomorrow and this must work.",
        "Nobody in the office can work.",
    ),
    "medium": (
        "It would be great to get this sorted this week.", "It's affecting a few of our users.",
        "We have a workaround for now but it's annoying.", "Please take a look soon.",
        "It's slowing us down.", "It's not critical but it needs fixing.",
    ),
    "low": (
        "No rush.", "Not urgent at all.", "Whenever you get a chance.",
        "Just curious, low priority.", "This is more of a nice-to-have.",
        "No hurry, thanks.", "Not time-sensitive.",
    ),
}
URGENT_SUBJECT_PREFIXES = ("URGENT: ", "Urgent - ", "ASAP: ", "CRITICAL: ", "!! ")
SUBJECT_PREFIXES = ("Re: ", "Fwd: ", "Question: ", "Help: ", "Support request: ", "[{company}] ")
SUBJECT_SUFFIXES = (
    " ({customer_ref})", " - {company}", "?", " - please help", " (again)", " for {company}",
    " - {full_name}", " since {weekday}", " - account {customer_ref}", " [{company}]",
)
PHONE_SUBJECT_PREFIXES = ("Call from {full_name}: ", "Phone: ", "Call - {company}: ")

CONTEXT_SENTENCES = (
    "We're on the {plan} plan.", "Our account is {customer_ref}.",
    "My account email is {email}.", "We have about {count} staff using {brand}.",
    "I'm the admin for {company}.", "We've been customers for {years} years.",
    "I'm writing on behalf of {company}.", "We mostly use {product}.",
)
TECH_CONTEXT_SENTENCES = (
    "I'm using {browser} on {os}.", "This is on the app version {app_version}.",
    "Happens on my {device} too.", "We tried {browser} and {browser2}, same result.",
    "I already cleared the cache and restarted.", "Screenshot attached.",
    "Our internet connection is fine otherwise.",
)
GENERIC_ASKS = (
    "Can you look into this?", "Could someone get back to me?", "What are my options?",
    "Please help.", "Can you check what is going on?", "What should I do?",
    "Is there anything I can do on my side?", "Can someone call me at some point?",
)
PHONE_PREFIXES = (
    "Customer called in.", "Phone call, notes below.", "Caller explained:",
    "Transcribed from a phone call:",
)
WEB_FORM_HEADERS = (
    "Product area: {product}\nPlan: {plan}\n\n", "Topic: {product}\n\n",
    "Account: {customer_ref}\n\n", "",
)

# Common misspellings applied now and then on top of random letter typos.
MISSPELLINGS = {
    "receive": "recieve", "account": "acount", "password": "pasword",
    "definitely": "definately", "separate": "seperate", "immediately": "immediatly",
    "invoice": "invoce", "because": "becuase", "doesn't": "doesnt", "can't": "cant",
    "I'm": "im", "working": "wokring", "payment": "payemnt", "address": "adress",
}

AGENT_OPENERS = (
    "Hi {first_name}, thanks for reaching out.", "Hello {first_name},",
    "Hi {first_name}, thanks for your patience.", "Hi {first_name}, sorry for the trouble.",
    "Thanks for contacting {brand} Support, {first_name}.", "Hi {first_name}!",
)
AGENT_CLOSERS = (
    "Let us know if anything else comes up.\n{agent}, {brand} Support",
    "Best regards,\n{agent}", "Have a great day!\n{agent} from {brand}",
    "Feel free to reply if you need anything else.\n{agent}",
    "Cheers,\n{agent} | {brand} Support",
)
CLOSING_NOTES = (
    "Closing this ticket as we haven't heard back; just reply to reopen it.",
    "Marking as closed after confirmation from the customer.",
    "Closed - customer confirmed the fix worked.",
)
# fmt: on

# --- categories and their intents ----------------------------------------------------

BILLING = {
    "name": "Billing",
    "description": "Invoices, charges, payment methods, plan changes and pricing on the bill.",
    "confusable_with": ("Refunds & Returns", "General Inquiry"),
    "intents": (
        {
            "key": "double_charge",
            "priority": "elevated",
            "sentiment": "angry",
            "subjects": (
                "Charged twice for {plan} subscription",
                "Double charge on card ending {last4}",
                "Duplicate payment of {amount}",
                "Why was I billed twice on {date}?",
                "Two identical charges this month",
            ),
            "leads": (
                "We were charged twice for our {plan} subscription on {date}.",
                "I see two charges of {amount} on the card ending in {last4}.",
                "Our bank statement shows a duplicate payment of {amount} to {brand}.",
                "Your system billed us twice this month for the same invoice {invoice}.",
            ),
            "details": (
                "Both charges went through on the card ending in {last4}.",
                "The invoice {invoice} only shows one payment.",
                "Our accountant flagged it during reconciliation.",
                "We only have one workspace, so there should only be one subscription.",
                "The second charge appeared a few minutes after the first one.",
            ),
            "resolutions": (
                "I checked the billing logs: the second charge of {amount} on {date} was a "
                "duplicate caused by a retry on our payment processor. I've voided it, and the "
                "money should be back on the card ending in {last4} within 5-10 business days.",
                "You're right, invoice {invoice} was collected twice. I've refunded the duplicate "
                "{amount} to the card ending in {last4}; your bank will show it in 5-10 business "
                "days. Sorry about that.",
                "The duplicate {amount} charge was a pending authorization, not a real payment. "
                "It drops off automatically within 7 days; if it's still there after that, reply "
                "here and we'll refund it manually.",
            ),
        },
        {
            "key": "unexpected_amount",
            "priority": "normal",
            "sentiment": "angry",
            "subjects": (
                "Invoice {invoice} higher than expected",
                "Why is my bill {amount} this month?",
                "Unexpected increase on invoice",
                "Billed {amount} instead of {amount2}",
                "Question about the amount on {invoice}",
            ),
            "leads": (
                "Our latest invoice {invoice} is {amount} but we normally pay {amount2}.",
                "The bill went up to {amount} this month and nobody told us about a price change.",
                "I was expecting {amount2} on the {plan} plan but we were billed {amount}.",
            ),
            "details": (
                "We didn't add any users as far as I know.",
                "Nobody on our side changed the plan.",
                "Can you send a breakdown of the line items?",
                "Maybe the extra seats for {colleague} were counted twice?",
                "The pricing page still shows the old price for {plan}.",
            ),
            "resolutions": (
                "The difference comes from {seats} extra seats added on {date}, which are "
                "prorated on invoice {invoice}. You can see the line items under Settings > "
                "Billing > Invoices. If those seats aren't needed, remove them and the next "
                "invoice will go back to {amount2}.",
                "Invoice {invoice} includes the annual price adjustment for the {plan} plan that "
                "we announced by email 30 days ago. As a one-off goodwill gesture I've applied a "
                "credit for the difference to your next invoice.",
                "I looked at the invoice: the higher amount is sales tax, which we started "
                "collecting in your region this quarter. If you are tax exempt, send us the "
                "exemption certificate and we will reissue {invoice} without tax.",
            ),
        },
        {
            "key": "update_card",
            "priority": "normal",
            "sentiment": "calm",
            "subjects": (
                "Update payment method",
                "How do I change the card on file?",
                "New credit card for {company}",
                "Card ending {last4} expired",
                "Switch billing to bank transfer",
            ),
            "leads": (
                "I need to update the credit card on our account, the one ending in {last4} "
                "expired.",
                "How do I change the payment method for our {plan} subscription?",
                "We'd like to switch from card payments to bank transfer or direct debit.",
            ),
            "details": (
                "The billing page says I don't have permission to edit the card.",
                "Our finance contact is now {colleague}, so the invoices should go to them.",
                "The new card is a company Amex.",
                "I tried adding the new card but it keeps getting declined.",
            ),
            "resolutions": (
                "Only account owners can change the payment method. Go to Settings > Billing > "
                "Payment method and click 'Replace card'; the old card ending in {last4} is "
                "removed automatically.",
                "Bank transfer is available on annual {plan} plans. I've switched your account "
                "to invoice billing, so the next invoice will include our bank details and 30-day "
                "payment terms.",
                "The card was declined by the issuing bank for a 3-D Secure check. Please try "
                "again and approve the prompt in your banking app; if it still fails, ask the "
                "bank to allow recurring charges from {brand}.",
            ),
        },
        {
            "key": "invoice_copy",
            "priority": "minor",
            "sentiment": "calm",
            "subjects": (
                "Need a copy of invoice {invoice}",
                "VAT number missing on invoices",
                "Change company name on invoices",
                "Invoices for {date}",
                "Receipts for our accountant",
            ),
            "leads": (
                "Could you send me a copy of invoice {invoice}?",
                "Our VAT number is missing from the invoices and our accountant needs it.",
                "We need the company name and billing address on our invoices changed.",
                "Where can I download all invoices for last year?",
            ),
            "details": (
                "Our accountant needs a PDF for the tax return.",
                "The legal name of the company is {company} Ltd.",
                "Please send it to {email}.",
                "Ideally the previous invoices would be reissued too.",
            ),
            "resolutions": (
                "I've emailed a PDF copy of {invoice} to {email}. All invoices are also "
                "available under Settings > Billing > Invoices, where you can download them one by "
                "one or as a ZIP.",
                "You can add your VAT number under Settings > Billing > Company details; it will "
                "appear on all future invoices. I've reissued the last 12 months of invoices with "
                "the VAT number and sent them to {email}.",
                "I updated the billing name and address on your account and regenerated invoice "
                "{invoice}. New invoices will use the new details automatically.",
            ),
        },
        {
            "key": "plan_change",
            "priority": "normal",
            "sentiment": "friendly",
            "subjects": (
                "Upgrade from {plan} to {plan2}",
                "Downgrade our plan",
                "How does proration work for {plan2}?",
                "Change billing to annual",
                "Switching plans mid-cycle",
            ),
            "leads": (
                "We'd like to move from the {plan} plan to {plan2}.",
                "Can we switch to annual billing to get the discount?",
                "If I downgrade to {plan2} mid-month, how is the bill calculated?",
            ),
            "details": (
                "We have {count} staff right now.",
                "Will we lose any data when we downgrade?",
                "We need {feature}, which I think is only on the higher plan.",
                "Our renewal date is {date}.",
            ),
            "resolutions": (
                "You can change plans any time under Settings > Billing > Plan. Upgrades to "
                "{plan2} apply immediately and are prorated; downgrades take effect at the end "
                "of the current billing period, and no data is deleted.",
                "I've switched your account to annual billing on the {plan2} plan with the 15% "
                "discount. The unused part of this month is credited on the first annual invoice.",
                "Proration is by the day: you pay the new price for the remaining days and get a "
                "credit for the old plan. For your account that works out to {amount} on the next "
                "invoice.",
            ),
        },
        {
            "key": "failed_payment",
            "priority": "critical",
            "sentiment": "mixed",
            "subjects": (
                "Payment failed - account suspended?",
                "Account locked for non-payment",
                "Got a 'payment failed' email",
                "Service suspended over unpaid invoice {invoice}",
            ),
            "leads": (
                "We got an email saying our payment failed and the account will be suspended.",
                "Our account is suspended for non-payment but invoice {invoice} was paid.",
                "The automatic payment for invoice {invoice} failed and now staff can't log in.",
            ),
            "details": (
                "We paid by bank transfer on {date}.",
                "The card ending in {last4} has plenty of funds.",
                "Please don't cut off access, we have appointments all day.",
                "I updated the card but the banner is still there.",
            ),
            "resolutions": (
                "I found your bank transfer for {invoice}; it arrived without the invoice "
                "reference so it wasn't matched automatically. I've marked the invoice as paid "
                "and lifted the suspension, so everyone can log in again.",
                "The suspension has been lifted. The payment failed because the card ending in "
                "{last4} expired; the new card has been charged {amount} successfully.",
                "I've given your account a 14-day grace period so nothing is suspended while you "
                "sort out the payment. You can retry under Settings > Billing > Invoices.",
            ),
        },
    ),
}

TECHNICAL = {
    "name": "Technical Issue",
    "description": "The service is down, slow, crashing or a device won't work.",
    "confusable_with": ("Bug Report", "Integrations & API", "Account Access"),
    "tech": True,
    "intents": (
        {
            "key": "outage",
            "priority": "critical",
            "sentiment": "angry",
            "subjects": (
                "{brand} is down",
                "Site not loading - error {error_code}",
                "502 Bad Gateway for everyone",
                "Can't access {product} at all",
                "Outage? Nothing loads",
                "Service unavailable since {time}",
            ),
            "leads": (
                "{brand} is not loading for anyone in our office, we just get a 502 error.",
                "The whole app is down for us since {time}, error {error_code}.",
                "None of our staff can open {product}, it just spins and times out.",
                "Is there an outage? The dashboard shows 'Service unavailable'.",
            ),
            "details": (
                "Your status page says everything is operational, which is clearly not true.",
                "We tried from several networks and devices.",
                "It started about {minutes} minutes ago.",
                "Our mobile app can't connect either.",
                "Customers are waiting at the counter.",
            ),
            "resolutions": (
                "We had a partial outage of the {product} service between {time} and about "
                "{minutes} minutes later, caused by a failed database failover. It is fully "
                "restored now; a post-incident report will be published on our status page.",
                "A faulty deployment caused 502 errors for some accounts. We rolled it back and "
                "everything is working again. Please refresh the page; if you still see "
                "{error_code}, reply here right away.",
                "Your region was affected by a network issue at our cloud provider. Service has "
                "been restored and we've credited your account for the downtime, as per our SLA.",
            ),
        },
        {
            "key": "slow",
            "priority": "elevated",
            "sentiment": "mixed",
            "subjects": (
                "{product} extremely slow",
                "Dashboard takes forever to load",
                "Performance issues since {weekday}",
                "Pages load very slowly",
                "Slow reports - {report}",
            ),
            "leads": (
                "{product} has been extremely slow since {weekday}, each page takes 20-30 seconds.",
                "The dashboard takes forever to load and sometimes times out.",
                "Loading the {report} takes minutes now, it used to be instant.",
            ),
            "details": (
                "We have about {count} records, which isn't that many.",
                "Other websites are fast on the same connection.",
                "It's worst in the mornings when everyone logs in.",
                "Sometimes it ends with a timeout error {error_code}.",
            ),
            "resolutions": (
                "We traced the slowness to a missing index on a large table in your account. It's "
                "been added and {product} pages should load in under two seconds again.",
                "The {report} was recalculating all history on every load. I've enabled cached "
                "reporting for your account; the report now refreshes every 15 minutes and opens "
                "instantly.",
                "We had degraded performance on one of our servers on {weekday}; it has been "
                "replaced. Please hard refresh (Ctrl+Shift+R) and let us know if it's still slow.",
            ),
        },
        {
            "key": "mobile_crash",
            "priority": "elevated",
            "sentiment": "mixed",
            "subjects": (
                "Mobile app crashes on startup",
                "App keeps crashing on {device}",
                "{brand} app closes immediately",
                "Crash after updating to {app_version}",
            ),
            "leads": (
                "The {brand} app crashes as soon as I open it on my {device}.",
                "Since the update to version {app_version}, the app closes right after the "
                "splash screen.",
                "The mobile app keeps crashing when I open {product}.",
            ),
            "details": (
                "I've reinstalled it twice already.",
                "My phone runs {os}.",
                "{colleague} has the same problem on another phone.",
                "It worked fine until {weekday}.",
            ),
            "resolutions": (
                "Version {app_version} had a crash on startup for some {os} devices. We've "
                "released a fix; please update the app from the store and the crash should be "
                "gone.",
                "The crash is caused by a corrupted offline cache. Go to your phone settings, "
                "clear the {brand} app storage (or reinstall), and log in again; your data is "
                "safe on our servers.",
                "Thanks for the crash details. This is fixed in the latest build, which is rolling "
                "out in the store today. Until then, the web app works on mobile browsers too.",
            ),
        },
        {
            "key": "sync",
            "priority": "normal",
            "sentiment": "mixed",
            "subjects": (
                "Data not syncing between devices",
                "Changes not showing up for {colleague}",
                "Offline changes lost",
                "Sync stuck on 'pending'",
            ),
            "leads": (
                "Changes I make on the desktop don't show up on the tablet.",
                "Bookings made on my {device} are not syncing to the web app.",
                "The app has said 'sync pending' for {days} days.",
            ),
            "details": (
                "We worked offline for a while during a power cut.",
                "Logging out and in didn't help.",
                "Some entries from {date} are missing.",
                "It's only one device, the others are fine.",
            ),
            "resolutions": (
                "The device was stuck on an old sync token. I've reset it from our side; open the "
                "app, pull down to refresh, and the pending changes will upload.",
                "Offline changes are kept on the device until it reconnects. Make sure the {brand} "
                "app has background data enabled, then open it on Wi-Fi and wait for the sync "
                "indicator to turn green.",
                "We found a sync conflict on the records from {date}. I've merged them manually; "
                "everything should now match across devices.",
            ),
        },
        {
            "key": "hardware_offline",
            "priority": "elevated",
            "sentiment": "mixed",
            "subjects": (
                "{hardware} offline",
                "{hardware} won't connect",
                "Can't pair the {hardware}",
                "{hardware} keeps disconnecting",
                "{hardware} not working after update",
            ),
            "leads": (
                "Our {hardware} shows as offline in the dashboard.",
                "The {hardware} won't connect to Wi-Fi anymore.",
                "I can't pair the new {hardware} with the app on my {device}.",
            ),
            "details": (
                "The light on the device is blinking orange.",
                "We restarted the router and the device.",
                "It worked fine yesterday.",
                "We bought it about {days} days ago.",
            ),
            "resolutions": (
                "Please hold the reset button on the {hardware} for 10 seconds until the light "
                "blinks blue, then add it again under Settings > Devices. A blinking orange light "
                "means it lost its Wi-Fi credentials.",
                "Your {hardware} was on old firmware that doesn't support your router's WPA3 "
                "mode. I've pushed the update; plug it in via USB for 5 minutes and it will "
                "reconnect.",
                "Bluetooth pairing needs location permission on {os}. Enable it for the {brand} "
                "app, keep the {hardware} within a metre of the phone, and try pairing again.",
            ),
        },
        {
            "key": "notifications",
            "priority": "normal",
            "sentiment": "calm",
            "subjects": (
                "Email notifications not being sent",
                "Customers not getting reminders",
                "No confirmation emails since {date}",
                "SMS reminders stopped working",
            ),
            "leads": (
                "Our customers stopped receiving appointment reminder emails.",
                "No confirmation emails have gone out since {date}.",
                "SMS reminders are not being sent anymore.",
            ),
            "details": (
                "The notification settings look correct.",
                "Test emails also don't arrive.",
                "We had a lot of no-shows this week because of it.",
                "We use our own domain {domain} as the sender.",
            ),
            "resolutions": (
                "The emails were being rejected because the SPF/DKIM records for {domain} were "
                "removed. Please re-add the DNS records shown under Settings > Email sending; "
                "reminders will resume once they verify.",
                "Your SMS credit ran out on {date}, so reminders were paused. I've added a free "
                "top-up; you can enable auto top-up under Settings > Notifications.",
                "A queue on our side was stuck and held notifications for a few accounts. It's "
                "cleared and the backlog has been sent.",
            ),
        },
    ),
}

ACCOUNT = {
    "name": "Account Access",
    "description": "Logging in, passwords, two-factor authentication, SSO and user seats.",
    "confusable_with": ("Security & Privacy", "Technical Issue"),
    "intents": (
        {
            "key": "password_reset",
            "priority": "normal",
            "sentiment": "mixed",
            "subjects": (
                "Password reset email not arriving",
                "Can't reset my password",
                "Forgot password - no email",
                "Reset link expired",
            ),
            "leads": (
                "I requested a password reset three times but the email never arrives.",
                "I forgot my password and the reset link says it has expired.",
                "I can't log in and the password reset doesn't work.",
            ),
            "details": (
                "My login is {email}.",
                "I checked the spam folder.",
                "I need to get into the account before {weekday}.",
                "Our IT blocks some external emails, maybe that's it?",
            ),
            "resolutions": (
                "Reset emails to {domain} were being blocked by your mail server. I've sent a "
                "new reset link from a different sender; it's valid for 60 minutes. Your IT team "
                "can allowlist no-reply@cloudpeak.example to avoid this in future.",
                "Reset links expire after 60 minutes and only the latest one works. Request one "
                "more link and use it straight away; I've also cleared the rate limit on "
                "{email}.",
                "Your login email is actually a different address than {email}. I've sent the "
                "reset link to the address on file; check with {colleague} if you don't have "
                "access to it.",
            ),
        },
        {
            "key": "locked_out",
            "priority": "elevated",
            "sentiment": "angry",
            "subjects": (
                "Account locked",
                "Locked out after too many attempts",
                "Can't log in - 'account locked'",
                "Please unlock {email}",
            ),
            "leads": (
                "My account got locked after too many login attempts.",
                "I'm locked out of {brand} and can't do any work.",
                "It says 'account temporarily locked' when I log in.",
            ),
            "details": (
                "I'm sure I typed the right password.",
                "It's been locked for over an hour.",
                "My username is {email}.",
                "{colleague} is locked out as well.",
            ),
            "resolutions": (
                "I've unlocked {email}. Accounts lock for 30 minutes after 10 failed attempts; "
                "if your password manager has an old password saved, please update it so it "
                "doesn't lock again.",
                "The account is unlocked and I've sent a password reset link as a precaution, "
                "since the failed attempts came from an unfamiliar IP ({ip}).",
                "Your workspace admin can unlock users under Settings > Users > Unlock. I've "
                "unlocked you and {colleague} this time.",
            ),
        },
        {
            "key": "two_factor",
            "priority": "elevated",
            "sentiment": "mixed",
            "subjects": (
                "Lost phone, can't get 2FA code",
                "Two-factor code not working",
                "New phone - authenticator reset",
                "Reset 2FA for {email}",
            ),
            "leads": (
                "I lost my phone and can't get the two-factor code to log in.",
                "The 2FA codes from my authenticator app are always rejected.",
                "I got a new {device} and my authenticator codes are gone.",
            ),
            "details": (
                "I don't have the backup codes.",
                "The time on my phone is set automatically.",
                "I'm the only admin on the account.",
                "I can verify my identity however you need.",
            ),
            "resolutions": (
                "After verifying your identity I've reset two-factor authentication on {email}. "
                "Log in with your password and you'll be asked to set up 2FA again; please save "
                "the backup codes this time.",
                "Rejected codes usually mean the phone clock is off. On the authenticator app use "
                "'Sync time', or remove the entry and re-add it under Profile > Security.",
                "Another admin on your account, {colleague}, can reset your 2FA under Settings > "
                "Users. If that's not possible, reply with a photo ID and we'll do it for you.",
            ),
        },
        {
            "key": "sso",
            "priority": "elevated",
            "sentiment": "calm",
            "subjects": (
                "SSO login loop",
                "SAML error when signing in",
                "Okta login not working",
                "Single sign-on broken for {domain}",
            ),
            "leads": (
                "Signing in with SSO sends us back to the login page in a loop.",
                "Since {date} our users get a SAML error when logging in through Okta.",
                "Single sign-on stopped working for everyone at {domain}.",
            ),
            "details": (
                "We rotated our identity provider certificate recently.",
                "Password login still works for the admin.",
                "The error says 'invalid signature'.",
                "We have {count} users on SSO.",
            ),
            "resolutions": (
                "Your identity provider certificate was rotated, so our side still had the old "
                "one. Upload the new certificate under Settings > Security > SSO and logins will "
                "work again.",
                "The login loop was caused by a clock skew check on our side; we've widened the "
                "allowed window. Please try again.",
                "The SAML assertion was missing the email attribute. Add an 'email' attribute "
                "mapping in your identity provider for the {brand} app and SSO will work.",
            ),
        },
        {
            "key": "invite_user",
            "priority": "normal",
            "sentiment": "calm",
            "subjects": (
                "Can't invite a new user",
                "Invitation email not received by {colleague}",
                "Add another user to our account",
                "Seat limit reached?",
            ),
            "leads": (
                "I'm trying to invite {colleague} but the invite button is greyed out.",
                "{colleague} never received the invitation email.",
                "How do I add another staff member to our account?",
            ),
            "details": (
                "We're on the {plan} plan.",
                "The invite went to {colleague}'s work email.",
                "It says we reached the seat limit.",
                "We removed a user last week, so there should be a free seat.",
            ),
            "resolutions": (
                "The invite button is disabled because all {seats} seats are in use. Removed users "
                "free their seat at the next billing cycle; I've released it now so you can invite "
                "{colleague}.",
                "I've resent the invitation to {colleague}. Invitations expire after 7 days, and "
                "they sometimes land in spam or quarantine, so please ask them to check there.",
                "Admins can add users under Settings > Users > Invite. Each new user adds a seat "
                "at the {plan} price, prorated for this month.",
            ),
        },
        {
            "key": "ownership",
            "priority": "normal",
            "sentiment": "calm",
            "subjects": (
                "Transfer account ownership",
                "Account owner left the company",
                "Change admin on our account",
                "Need access to former employee's account",
            ),
            "leads": (
                "The person who owned our account has left and we need to transfer ownership.",
                "Can you make me the admin? {colleague} set up the account and has left {company}.",
                "We need access to a former employee's account.",
            ),
            "details": (
                "I'm the managing director.",
                "I can send proof that I work at {company}.",
                "Their email address is deactivated.",
                "We still need their bookings and notes.",
            ),
            "resolutions": (
                "After verifying with your billing contact, I've made you the account owner. You "
                "can now manage users and billing; we recommend adding a second admin.",
                "For security we need a signed ownership transfer request on company letterhead. "
                "Once you send it, we'll move ownership within one business day.",
                "I've transferred {colleague}'s records to your user and deactivated their login. "
                "Their seat will be removed from the next invoice.",
            ),
        },
    ),
}

FEATURE_REQUEST = {
    "name": "Feature Request",
    "description": "Suggestions and requests for new functionality or improvements.",
    "confusable_with": ("General Inquiry", "Bug Report"),
    "intents": (
        {
            "key": "new_feature",
            "priority": "minor",
            "sentiment": "friendly",
            "subjects": (
                "Feature request: {feature}",
                "Suggestion - {feature}",
                "Would love {feature}",
                "Any plans for {feature}?",
                "Idea for {product}",
            ),
            "leads": (
                "It would be great if {product} had {feature}.",
                "Are there any plans to add {feature}?",
                "We'd love to see {feature} in {brand}.",
                "Feature suggestion: {feature} in {product}.",
            ),
            "details": (
                "Right now we do this manually in a spreadsheet.",
                "A competitor has it and our staff keep asking for it.",
                "Happy to be a beta tester.",
                "It would save us a couple of hours a week.",
                "I upvoted it on the roadmap board too.",
            ),
            "resolutions": (
                "Thanks for the suggestion! {feature} is on our roadmap for the next quarter. "
                "I've added your vote and you'll get an email when it ships.",
                "Great idea. I've logged {feature} as a feature request with our product team "
                "and linked your account, so you'll hear from us if it goes into beta.",
                "We don't have {feature} yet, but you can get close with the Workflow Builder; "
                "here's a guide: https://help.cloudpeak.example/workflows. I've also passed the "
                "request to the product team.",
            ),
        },
        {
            "key": "export_format",
            "priority": "minor",
            "sentiment": "calm",
            "subjects": (
                "Export to {file_type}",
                "Please add {file_type} export",
                "Export {report} as {file_type}?",
                "Need more export options",
            ),
            "leads": (
                "Could you add an option to export the {report} to {file_type}?",
                "We need to export our data as {file_type} for our accountant.",
                "Is there any way to get a {file_type} export of {product}?",
            ),
            "details": (
                "Currently we can only print to PDF.",
                "Ideally with all custom fields included.",
                "A scheduled export every month would be even better.",
                "Our accounting software only imports {file_type}.",
            ),
            "resolutions": (
                "{file_type} export is available for the {report}: open the report, click the "
                "three dots in the top right and choose 'Export'. Scheduled exports are on our "
                "roadmap and I've added your vote.",
                "Not every report supports {file_type} yet; I've logged the request. In the "
                "meantime the API endpoint /v2/reports returns the same data as JSON.",
                "Good news: {file_type} export for {product} shipped last week. You'll find it "
                "under Reports > Export.",
            ),
        },
        {
            "key": "customization",
            "priority": "minor",
            "sentiment": "friendly",
            "subjects": (
                "Custom branding on the customer portal",
                "Request: custom fields on bookings",
                "Change colours and logo",
                "More templates for invoices",
            ),
            "leads": (
                "We'd like to use our own logo and colours on the customer portal.",
                "Could you add custom fields to bookings and invoices?",
                "Please add more invoice templates, the current ones are quite limited.",
            ),
            "details": (
                "We need a field for the customer's date of birth.",
                "Our brand colour is dark green.",
                "We'd pay extra for white-labelling.",
                "Being able to reorder the fields would be nice too.",
            ),
            "resolutions": (
                "Logo and colours can be changed under Settings > Branding on the {plan} plan and "
                "above. Full white-labelling is available on Enterprise; I can connect you with "
                "sales if you're interested.",
                "Custom fields are available under Settings > Custom fields (up to 20 per record "
                "type). Reordering fields is on the roadmap, and I've added your vote.",
                "Thanks for the feedback on invoice templates! I've shared it with the design "
                "team; meanwhile you can upload your own HTML template under Settings > Invoices.",
            ),
        },
        {
            "key": "permissions",
            "priority": "normal",
            "sentiment": "calm",
            "subjects": (
                "More granular user roles",
                "Request: read-only users",
                "Restrict staff from seeing {report}",
                "Custom permissions",
            ),
            "leads": (
                "We need more granular permissions, staff shouldn't see the {report}.",
                "Could you add a read-only role for our accountant?",
                "It would help to restrict which locations each user can see.",
            ),
            "details": (
                "Right now it's either admin or staff.",
                "We have {count} users across several locations.",
                "This is important for our compliance.",
                "{colleague} accidentally edited prices last week.",
            ),
            "resolutions": (
                "Custom roles are available on the Business plan and above: Settings > Users > "
                "Roles lets you hide reports like the {report} per role.",
                "A read-only 'Accountant' role exists: invite your accountant and pick that role. "
                "It doesn't use a paid seat.",
                "Location-based permissions are in beta. I've enabled the beta for your account; "
                "you'll find it under Settings > Users > Locations.",
            ),
        },
        {
            "key": "mobile_parity",
            "priority": "minor",
            "sentiment": "mixed",
            "subjects": (
                "{product} on the mobile app",
                "Please bring {feature} to mobile",
                "Mobile app missing features",
                "Tablet version request",
            ),
            "leads": (
                "The mobile app is missing {product}, which we use every day.",
                "Could you bring {feature} to the mobile app?",
                "A proper tablet layout would be a big improvement.",
            ),
            "details": (
                "Our staff are on the road most of the day.",
                "We use {device} devices.",
                "The web version on the phone is hard to use.",
                "Everything else in the app is great.",
            ),
            "resolutions": (
                "{product} is coming to the mobile app in the next release. I've noted your "
                "interest and you'll get an in-app message when it's live.",
                "Thanks for the request. The tablet layout is in development; in the meantime the "
                "web app in landscape mode works well on tablets.",
                "I've passed your request for {feature} on mobile to our mobile team and added "
                "your account to the list of interested customers.",
            ),
        },
    ),
}

BUG_REPORT = {
    "name": "Bug Report",
    "description": "Reproducible defects: a feature gives wrong results or misbehaves.",
    "confusable_with": ("Technical Issue", "Integrations & API", "Feature Request"),
    "tech": True,
    "intents": (
        {
            "key": "wrong_totals",
            "priority": "elevated",
            "sentiment": "mixed",
            "subjects": (
                "{report} shows wrong totals",
                "Tax calculated incorrectly",
                "Bug: totals don't add up",
                "Rounding error in {product}",
                "Wrong numbers in {report}",
            ),
            "leads": (
                "The {report} shows a total of {amount} but the individual lines add up to "
                "{amount2}.",
                "Tax is being calculated on the discounted price twice in {product}.",
                "There's a rounding error: invoices are off by one cent.",
            ),
            "details": (
                "Steps to reproduce: create an invoice with a discount and two tax rates.",
                "It started after the last update.",
                "Our accountant noticed the mismatch.",
                "I attached a screenshot of the report.",
            ),
            "resolutions": (
                "Thanks for the detailed report. This was a bug in how discounts were combined "
                "with multiple tax rates; a fix was deployed today and the {report} now shows "
                "the correct totals, including past periods.",
                "Confirmed, the rounding was done per line instead of per invoice. Our engineers "
                "fixed it; existing invoices keep their amounts, new ones will be correct.",
                "The totals differed because refunded orders were excluded from the summary but "
                "not from the lines. We've fixed the {report}; please refresh it.",
            ),
        },
        {
            "key": "ui_broken",
            "priority": "normal",
            "sentiment": "mixed",
            "subjects": (
                "Save button does nothing",
                "Layout broken in {browser}",
                "Bug: can't click 'Save' in {product}",
                "Dropdown not working on {browser}",
                "Page is blank in {browser}",
            ),
            "leads": (
                "The Save button in {product} doesn't do anything when I click it.",
                "The layout is completely broken in {browser}, buttons overlap each other.",
                "The date picker dropdown doesn't open in {browser}.",
            ),
            "details": (
                "It works in {browser2}.",
                "The browser console shows a JavaScript error.",
                "Steps: open a record, change a field, click Save.",
                "We're on {os}.",
            ),
            "resolutions": (
                "This was a front-end bug affecting {browser} only; a fix went out this morning. "
                "Please hard refresh (Ctrl+Shift+R) to load the new version.",
                "We reproduced it: the Save button failed silently when a required custom field "
                "was hidden. It's fixed now, and the error message is shown properly.",
                "A browser extension (usually an ad blocker) was blocking our scripts. Please "
                "allowlist app.cloudpeak.example or try a private window; we've also made the page "
                "more robust.",
            ),
        },
        {
            "key": "timezone",
            "priority": "normal",
            "sentiment": "calm",
            "subjects": (
                "Appointments shown at the wrong time",
                "Timezone bug",
                "Dates off by one day",
                "Times wrong after daylight saving",
            ),
            "leads": (
                "All appointments show one hour off since the clocks changed.",
                "Dates in the {report} are off by one day.",
                "Bookings made by customers appear at the wrong time in the calendar.",
            ),
            "details": (
                "Our business timezone is set correctly in settings.",
                "Customers in {country} are affected the most.",
                "It causes double bookings.",
                "It only happens for bookings after 11pm.",
            ),
            "resolutions": (
                "The daylight saving transition wasn't applied to recurring bookings created "
                "before the change. We've fixed the bug and corrected the affected appointments.",
                "The {report} was using UTC instead of your business timezone. That's fixed; past "
                "reports have been regenerated.",
                "Your user profile had a different timezone than the business. I've aligned both; "
                "times will now display consistently.",
            ),
        },
        {
            "key": "duplicates",
            "priority": "normal",
            "sentiment": "mixed",
            "subjects": (
                "Import creates duplicate customers",
                "Duplicate records after import",
                "Bug: every customer appears twice",
                "Duplicated bookings",
            ),
            "leads": (
                "Importing our customer list created duplicates of every customer.",
                "Since {date} every new booking appears twice in the calendar.",
                "The {file_type} import doesn't detect existing records and duplicates them.",
            ),
            "details": (
                "We imported about {count} customers.",
                "Deleting the duplicates one by one would take days.",
                "The emails match exactly, so they should be merged.",
                "It happens with the new importer only.",
            ),
            "resolutions": (
                "The importer wasn't matching emails case-insensitively. That's fixed, and I've "
                "merged the duplicates created on {date} for you.",
                "I've removed the duplicate bookings. They were created by a double submit when "
                "the network was slow; the booking form now prevents that.",
                "You can merge duplicates in bulk under Customers > Tools > Find duplicates. The "
                "import bug itself has been fixed for future imports.",
            ),
        },
        {
            "key": "export_garbled",
            "priority": "normal",
            "sentiment": "calm",
            "subjects": (
                "{file_type} export has broken characters",
                "Export missing rows",
                "Bug in export of {report}",
                "Accents garbled in export",
            ),
            "leads": (
                "The {file_type} export shows broken characters instead of accents.",
                "The export of the {report} is missing rows compared to the screen.",
                "Exported files are empty since the last update.",
            ),
            "details": (
                "Names like {last_name} come out garbled.",
                "It happens when opening the file in Excel.",
                "The on-screen report is correct.",
                "We need it for month-end.",
            ),
            "resolutions": (
                "The file is UTF-8 but Excel assumes another encoding. We now add a byte order "
                "mark to {file_type} exports so Excel opens them correctly.",
                "Exports were cut off at 10,000 rows without warning. The limit is removed and "
                "large exports are emailed to you instead.",
                "Empty exports were caused by a permissions bug after the update; it's fixed. "
                "Please export the {report} again.",
            ),
        },
        {
            "key": "search",
            "priority": "normal",
            "sentiment": "mixed",
            "subjects": (
                "Search doesn't find existing customers",
                "Search returns no results",
                "Bug: search broken in {product}",
                "Can't find records by phone number",
            ),
            "leads": (
                "Searching for a customer by name returns nothing, even though they exist.",
                "The search in {product} stopped returning results.",
                "Search by phone number doesn't work at all.",
            ),
            "details": (
                "Filtering manually still finds them.",
                "It only affects customers added after {date}.",
                "Names with apostrophes like {last_name} never match.",
                "Our front desk depends on it.",
            ),
            "resolutions": (
                "The search index for your account was stale; I've rebuilt it and recent "
                "customers are searchable again.",
                "Search now normalises phone numbers, so it matches with or without spaces and "
                "the country code. The fix is live.",
                "We fixed a bug where apostrophes and accents broke search queries; names like "
                "{last_name} are found correctly now.",
            ),
        },
    ),
}

SHIPPING = {
    "name": "Shipping & Delivery",
    "description": "Hardware orders: shipping status, delivery problems and addresses.",
    "confusable_with": ("Refunds & Returns",),
    "intents": (
        {
            "key": "where_is_order",
            "priority": "normal",
            "sentiment": "mixed",
            "subjects": (
                "Where is my order {order}?",
                "Order {order} not delivered",
                "When will my {hardware} ship?",
                "Still waiting for order {order}",
                "Delivery status of {order}",
            ),
            "leads": (
                "We ordered a {hardware} on {date} (order {order}) and it still hasn't arrived.",
                "When will order {order} ship? It's been {days} days.",
                "Can you tell me the delivery status of our {hardware}?",
            ),
            "details": (
                "We need it for the opening of our new location.",
                "The order confirmation said 3-5 business days.",
                "We haven't received any shipping email.",
                "The delivery address is our shop in {city}.",
            ),
            "resolutions": (
                "Order {order} shipped on {date} with {carrier}, tracking number {tracking}. "
                "It should be delivered within 2 business days.",
                "Your {hardware} was on backorder; it has now shipped with {carrier} (tracking "
                "{tracking}). Sorry for the delay - I've upgraded it to express delivery at no "
                "cost.",
                "The order was held because the address failed validation. I corrected it and "
                "the {hardware} shipped today via {carrier}, tracking {tracking}.",
            ),
        },
        {
            "key": "tracking_stuck",
            "priority": "normal",
            "sentiment": "angry",
            "subjects": (
                "Tracking not updated for {days} days",
                "{carrier} tracking stuck",
                "Package stuck in transit",
                "Tracking {tracking} shows no movement",
            ),
            "leads": (
                "The {carrier} tracking for our order hasn't updated in {days} days.",
                "Tracking number {tracking} has said 'in transit' for over a week.",
                "Our package seems stuck at the {carrier} depot.",
            ),
            "details": (
                "Order number is {order}.",
                "{carrier} told me to contact the sender.",
                "It's a {hardware} we urgently need.",
                "Last scan was on {date}.",
            ),
            "resolutions": (
                "I opened an investigation with {carrier} for {tracking}. If the parcel doesn't "
                "move within 2 business days we'll send a replacement {hardware} by express.",
                "The parcel was misrouted at the {carrier} hub. {carrier} has rerouted it and "
                "expects delivery in 1-2 days.",
                "{carrier} marked the parcel as lost, so I've shipped a replacement {hardware} "
                "today; the new tracking number will arrive by email.",
            ),
        },
        {
            "key": "change_address",
            "priority": "elevated",
            "sentiment": "calm",
            "subjects": (
                "Change shipping address for {order}",
                "Wrong delivery address",
                "Update address on my order",
                "Ship to a different location",
            ),
            "leads": (
                "I entered the wrong delivery address for order {order}.",
                "Can you ship order {order} to our new address in {city} instead?",
                "We moved offices; please update the shipping address on our order.",
            ),
            "details": (
                "The order hasn't shipped yet as far as I can see.",
                "The correct address is our office on Main Street.",
                "Please confirm before it ships.",
                "It's a {hardware}.",
            ),
            "resolutions": (
                "I updated the shipping address on order {order} before it left the warehouse; "
                "you'll receive tracking details once it ships.",
                "The order had already shipped, so I asked {carrier} to redirect it to the new "
                "address. Tracking {tracking} will update within a day.",
                "Done, order {order} will ship to the new address in {city}. You can also change "
                "addresses yourself under Orders until the order is packed.",
            ),
        },
        {
            "key": "damaged",
            "priority": "elevated",
            "sentiment": "angry",
            "subjects": (
                "{hardware} arrived damaged",
                "Broken device in the box",
                "Damaged delivery - order {order}",
                "Cracked screen on new {hardware}",
            ),
            "leads": (
                "Our {hardware} arrived with a cracked case and doesn't turn on.",
                "The box for order {order} was crushed and the {hardware} inside is broken.",
                "The {hardware} we received is damaged.",
            ),
            "details": (
                "Photos attached.",
                "The outer box was soaked.",
                "We need a working one before {weekday}.",
                "It was delivered by {carrier} on {date}.",
            ),
            "resolutions": (
                "Sorry it arrived damaged! I've shipped a replacement {hardware} by express "
                "({carrier}, tracking {tracking}) and included a prepaid label to send the broken "
                "one back.",
                "Thanks for the photos. A replacement for order {order} is on its way; no need to "
                "return the damaged unit, please recycle it.",
                "I've filed a damage claim with {carrier} and sent a new {hardware}, which should "
                "arrive in 1-2 business days.",
            ),
        },
        {
            "key": "missing_item",
            "priority": "normal",
            "sentiment": "mixed",
            "subjects": (
                "Item missing from order {order}",
                "Only part of my order arrived",
                "Missing cable in the box",
                "Received wrong item",
            ),
            "leads": (
                "Order {order} arrived but the {hardware} was missing.",
                "We only got one of the two devices we ordered.",
                "The box had the wrong item: we ordered a {hardware}.",
            ),
            "details": (
                "The packing slip lists everything.",
                "The charging cable is also missing.",
                "Order date was {date}.",
                "We need it for our second till.",
            ),
            "resolutions": (
                "Order {order} was split into two shipments; the second parcel with the "
                "{hardware} is on its way with {carrier} (tracking {tracking}).",
                "Sorry about that, the warehouse missed an item. I've shipped the missing "
                "{hardware} by express at no cost.",
                "I've arranged a pickup of the wrong item and shipped the correct {hardware}; "
                "you'll receive both labels by email.",
            ),
        },
        {
            "key": "customs",
            "priority": "minor",
            "sentiment": "calm",
            "subjects": (
                "Shipping to {country}?",
                "Customs fees on delivery",
                "International shipping for {hardware}",
                "Import duties charged by {carrier}",
            ),
            "leads": (
                "Do you ship the {hardware} to {country}?",
                "{carrier} is asking us to pay customs fees before delivering order {order}.",
                "How long does international shipping to {country} take?",
            ),
            "details": (
                "Your website didn't mention any duties.",
                "We're opening a branch abroad.",
                "The fee is {amount}.",
                "We need three units.",
            ),
            "resolutions": (
                "We ship to {country} with {carrier}; delivery takes 5-8 business days and "
                "duties are prepaid at checkout, so nothing is due on delivery.",
                "Orders to {country} should have been shipped duties-paid. Please pay the fee, "
                "send us the receipt, and we'll refund {amount} to your card.",
                "We currently ship hardware to the US, Canada, the UK and the EU. For {country} "
                "we can arrange a local reseller; I've forwarded your details.",
            ),
        },
    ),
}

REFUNDS = {
    "name": "Refunds & Returns",
    "description": "Refund requests, hardware returns and money back after cancellation.",
    "confusable_with": ("Billing", "Shipping & Delivery"),
    "intents": (
        {
            "key": "refund_unused",
            "priority": "normal",
            "sentiment": "mixed",
            "subjects": (
                "Refund for unused subscription",
                "Cancelled but still charged {amount}",
                "Request a refund",
                "Money back after cancellation",
            ),
            "leads": (
                "We cancelled our subscription on {date} but were still charged {amount}.",
                "I'd like a refund for the unused months of our annual {plan} plan.",
                "We closed the business and would like a refund of the last payment.",
            ),
            "details": (
                "We haven't logged in since the cancellation.",
                "The cancellation confirmation email is attached.",
                "Please refund to the card ending in {last4}.",
                "We paid {amount} upfront for the year.",
            ),
            "resolutions": (
                "I confirmed the cancellation on {date} and refunded the {amount} charge to the "
                "card ending in {last4}. It will appear in 5-10 business days.",
                "Annual plans are refundable pro rata within the first 60 days. I've refunded "
                "{amount} for the unused months, refund reference RF-{order}.",
                "I'm sorry to hear about the closure. As an exception, I've refunded the last "
                "payment of {amount} and closed the account.",
            ),
        },
        {
            "key": "return_hardware",
            "priority": "minor",
            "sentiment": "calm",
            "subjects": (
                "Return {hardware}",
                "How do I return a device?",
                "30-day return for order {order}",
                "Return label needed",
            ),
            "leads": (
                "We'd like to return the {hardware} from order {order}.",
                "How do I return a device within the 30 days?",
                "The {hardware} doesn't fit our counter, can we send it back for a refund?",
            ),
            "details": (
                "It's unused and still in the original box.",
                "We bought it on {date}.",
                "Do we get a full refund?",
                "Please send a return label.",
            ),
            "resolutions": (
                "I've emailed a prepaid {carrier} return label for order {order}. Once the "
                "{hardware} arrives at our warehouse, we refund {amount} within 3 business days.",
                "Returns are free within 30 days. Pack the {hardware} in its original box, print "
                "the label I sent to {email}, and drop it at any {carrier} point.",
                "Since the device was opened, a 10% restocking fee applies; the remaining "
                "{amount} will be refunded when we receive it.",
            ),
        },
        {
            "key": "refund_status",
            "priority": "normal",
            "sentiment": "angry",
            "subjects": (
                "Refund not received yet",
                "Where is my refund?",
                "Refund of {amount} still missing",
                "Refund promised on {date}",
            ),
            "leads": (
                "I was promised a refund of {amount} on {date} and I still haven't received it.",
                "Where is my refund? It's been {days} days.",
                "The refund for our returned {hardware} hasn't arrived.",
            ),
            "details": (
                "My bank says nothing is pending.",
                "The return was delivered to your warehouse on {date}.",
                "I need a refund reference for my bank.",
                "The card ending in {last4} was used.",
            ),
            "resolutions": (
                "The refund of {amount} was processed on {date}; the reference is RF-{order}. "
                "Banks take 5-10 business days to show it, so please give it a few more days.",
                "The refund was stuck because the card ending in {last4} has been closed. I've "
                "reissued it as a bank transfer; please reply with your account details.",
                "Your returned {hardware} had not been checked in at the warehouse yet. It's now "
                "processed and {amount} is refunded.",
            ),
        },
        {
            "key": "accidental_upgrade",
            "priority": "normal",
            "sentiment": "mixed",
            "subjects": (
                "Upgraded by mistake, refund please",
                "Accidental purchase",
                "Didn't mean to buy add-on",
                "Refund the upgrade to {plan2}",
            ),
            "leads": (
                "I upgraded to {plan2} by mistake and was charged {amount}.",
                "{colleague} accidentally bought the SMS add-on; can we get a refund?",
                "We clicked upgrade by accident and want the money back.",
            ),
            "details": (
                "We haven't used any of the new features.",
                "It happened on {date}.",
                "Please switch us back to {plan}.",
                "The charge was on the card ending in {last4}.",
            ),
            "resolutions": (
                "No problem: I've moved you back to the {plan} plan and refunded the {amount} "
                "upgrade charge to the card ending in {last4}.",
                "I've cancelled the add-on and refunded {amount}. To avoid this in future, you "
                "can restrict purchases to the account owner under Settings > Billing.",
                "Done - the upgrade is reversed and a full refund of {amount} is on its way.",
            ),
        },
        {
            "key": "downtime_credit",
            "priority": "normal",
            "sentiment": "angry",
            "subjects": (
                "Compensation for downtime",
                "Credit for the outage on {date}",
                "Refund for lost business during outage",
                "SLA credit request",
            ),
            "leads": (
                "Because of the outage on {date} we couldn't take payments for hours; we want a "
                "refund.",
                "We'd like an SLA credit for the downtime last {weekday}.",
                "We lost about {amount} in sales during your outage and expect compensation.",
            ),
            "details": (
                "Our contract guarantees 99.9% uptime.",
                "This isn't the first time this month.",
                "We had to turn customers away.",
                "I'd like this in writing.",
            ),
            "resolutions": (
                "I'm sorry for the disruption on {date}. As per the SLA, I've applied a credit "
                "of {amount} to your next invoice.",
                "We can't cover lost sales, but I've credited one full month of your {plan} "
                "subscription as compensation for the outage.",
                "The incident on {date} breached our uptime commitment, so a 10% service credit "
                "has been applied. The incident report is on our status page.",
            ),
        },
    ),
}

INTEGRATIONS_API = {
    "name": "Integrations & API",
    "description": "Third-party integrations, webhooks, API keys, rate limits and SDKs.",
    "confusable_with": ("Technical Issue", "Bug Report", "Security & Privacy"),
    "tech": True,
    "intents": (
        {
            "key": "integration_sync",
            "priority": "elevated",
            "sentiment": "mixed",
            "subjects": (
                "{integration} sync stopped",
                "{integration} integration not syncing",
                "Orders not showing up in {integration}",
                "{integration} connection broken",
                "Problem with {integration} integration",
            ),
            "leads": (
                "Our {integration} integration stopped syncing on {date}.",
                "New invoices are no longer pushed to {integration}.",
                "Customers from {integration} don't show up in {brand} anymore.",
            ),
            "details": (
                "The integration page says 'connected'.",
                "We reconnected it but nothing changed.",
                "About {count} records are missing.",
                "Our accountant relies on the {integration} data.",
            ),
            "resolutions": (
                "The {integration} access token expired on {date}. Please disconnect and "
                "reconnect under Settings > Integrations > {integration}; the missing records "
                "will sync within an hour.",
                "{integration} changed its API and our connector failed on some records. We've "
                "released a fix and re-ran the sync for your account.",
                "The sync was paused after repeated errors on one record with an invalid tax "
                "code. I fixed the record and resumed the sync; everything is up to date now.",
            ),
        },
        {
            "key": "webhooks",
            "priority": "elevated",
            "sentiment": "calm",
            "subjects": (
                "Webhooks not delivered",
                "{webhook_event} webhook not firing",
                "Webhook returns {error_code}",
                "Missing webhook events",
            ),
            "leads": (
                "We stopped receiving {webhook_event} webhooks on {date}.",
                "Our endpoint isn't getting any webhook events anymore.",
                "The webhook log shows failures with {error_code}.",
            ),
            "details": (
                "Our endpoint responds 200 when we test it with curl.",
                "We rotated the signing secret last week.",
                "We're missing about {count} events.",
                "Is there a way to replay them?",
            ),
            "resolutions": (
                "Your endpoint returned errors for 24 hours, so the webhook was automatically "
                "disabled. Re-enable it under Settings > Developers > Webhooks; you can replay "
                "missed {webhook_event} events from the log.",
                "Webhook signatures use the new secret since the rotation, so your verification "
                "was failing. Update the secret in your code and redeliver from the log.",
                "Our webhook sender had a delay this morning; all events have been delivered now, "
                "including {webhook_event}.",
            ),
        },
        {
            "key": "rate_limit",
            "priority": "normal",
            "sentiment": "calm",
            "subjects": (
                "API returns 429 Too Many Requests",
                "Rate limit on {endpoint}",
                "Increase API rate limit",
                "Getting throttled by the API",
            ),
            "leads": (
                "Our nightly job gets 429 Too Many Requests from {endpoint}.",
                "What is the API rate limit and can it be increased?",
                "We're being throttled when syncing about {count} records.",
            ),
            "details": (
                "We use the official Python SDK.",
                "We already added retries with backoff.",
                "The limit seems lower than documented.",
                "We're on the {plan} plan.",
            ),
            "resolutions": (
                "The limit is 120 requests per minute per API key on {plan}. Use the bulk "
                "endpoint or the Retry-After header; I've also raised your limit to 300/min.",
                "Your job sends many parallel requests from several keys that share one limit. "
                "Pagination with page_size=500 on {endpoint} cuts the number of calls a lot.",
                "Higher rate limits come with the Enterprise plan. As a temporary measure I've "
                "doubled your limit for 30 days.",
            ),
        },
        {
            "key": "api_auth",
            "priority": "elevated",
            "sentiment": "mixed",
            "subjects": (
                "API returns 401 Unauthorized",
                "API key not working",
                "Authentication error on {endpoint}",
                "OAuth token rejected",
            ),
            "leads": (
                "All our API calls to {endpoint} return 401 Unauthorized.",
                "Our new API key doesn't work, we get 'invalid token'.",
                "The OAuth access token is rejected after an hour.",
            ),
            "details": (
                "The key was created by {colleague}.",
                "We send it in the Authorization header as a Bearer token.",
                "It worked until {date}.",
                "Sandbox works, production doesn't.",
            ),
            "resolutions": (
                "The API key was created in the sandbox environment, so production rejects it. "
                "Create a production key under Settings > Developers > API keys.",
                "Access tokens expire after 60 minutes; use the refresh token to get a new one. "
                "Our docs have an example for the {endpoint} flow.",
                "The key was revoked when {colleague}'s user was deactivated. Keys belong to "
                "users, so please create a new key from an active admin account.",
            ),
        },
        {
            "key": "api_question",
            "priority": "minor",
            "sentiment": "friendly",
            "subjects": (
                "Question about {endpoint}",
                "How to paginate API results?",
                "API docs for filtering by date",
                "Is there a sandbox for the API?",
            ),
            "leads": (
                "How do I paginate results from {endpoint}?",
                "Can the API filter invoices by updated date?",
                "Is there a sandbox environment for testing the API?",
            ),
            "details": (
                "We're building an integration with our ERP.",
                "The docs were a bit unclear on this.",
                "We use Node.js.",
                "Thanks for the nice API by the way.",
            ),
            "resolutions": (
                "{endpoint} uses cursor pagination: pass the 'next_cursor' value from each "
                "response as the 'cursor' parameter until it's empty.",
                "Yes, use ?updated_since=2024-01-01T00:00:00Z on list endpoints. I've asked the "
                "docs team to make that clearer.",
                "A free sandbox is available under Settings > Developers > Sandbox, with test "
                "data and separate API keys.",
            ),
        },
        {
            "key": "zapier",
            "priority": "normal",
            "sentiment": "calm",
            "subjects": (
                "Zapier trigger not firing",
                "{integration} keeps disconnecting",
                "Zap fails with {error_code}",
                "Automation broken after update",
            ),
            "leads": (
                "Our Zapier trigger for new bookings stopped firing.",
                "The {integration} connection keeps disconnecting every few days.",
                "Our automation fails with {error_code} since the last update.",
            ),
            "details": (
                "Reconnecting fixes it for a day or so.",
                "Other zaps work fine.",
                "We rely on it to notify staff in {integration}.",
                "Nothing changed on our side.",
            ),
            "resolutions": (
                "Our Zapier app moved to version 2 and old zaps need the trigger re-selected. "
                "Edit the zap, pick 'New Booking (v2)', and it will fire again.",
                "The {integration} connection dropped because your admin password changed, which "
                "revokes tokens. Reconnect it once and it will stay connected.",
                "{error_code} was a bug in our Zapier app for bookings without a customer email. "
                "It's fixed; please turn the zap off and on again.",
            ),
        },
    ),
}

SECURITY = {
    "name": "Security & Privacy",
    "description": "Suspicious activity, data protection, GDPR requests and compliance.",
    "confusable_with": ("Account Access", "Integrations & API"),
    "intents": (
        {
            "key": "suspicious_login",
            "priority": "critical",
            "sentiment": "angry",
            "subjects": (
                "Suspicious login from {country}",
                "Someone accessed our account",
                "Unknown login alert",
                "Possible account compromise",
                "Security alert - login from {ip}",
            ),
            "leads": (
                "We got an alert about a login from {country} and none of us were there.",
                "Someone logged into our account from {ip}, it wasn't us.",
                "I think our account has been hacked, settings were changed overnight.",
            ),
            "details": (
                "We changed the password immediately.",
                "Some customer records may have been exported.",
                "We need an audit of what was accessed.",
                "We don't have 2FA turned on yet.",
            ),
            "resolutions": (
                "I've signed out all sessions and reset the password for the affected user. The "
                "login from {ip} exported no data; please enable two-factor authentication for "
                "all users under Settings > Security.",
                "Our security team reviewed the audit log: the attacker used a reused password. "
                "We've locked the session, and I'm sending you the full activity report.",
                "The login from {country} was a VPN used by {colleague}; no unauthorised access "
                "happened. Still, we recommend enabling 2FA.",
            ),
        },
        {
            "key": "gdpr_delete",
            "priority": "normal",
            "sentiment": "calm",
            "subjects": (
                "GDPR deletion request",
                "Please delete my personal data",
                "Right to be forgotten",
                "Delete customer data for {full_name}",
            ),
            "leads": (
                "Under GDPR I'm requesting the deletion of all my personal data.",
                "One of our clients asked us to delete all their data; how do we do that?",
                "Please delete our account and all associated data.",
            ),
            "details": (
                "Please confirm in writing once done.",
                "This includes backups.",
                "The client's email is on file.",
                "We're closing the account on {date}.",
            ),
            "resolutions": (
                "Your deletion request has been processed. Personal data was removed from "
                "production today and will be purged from backups within 30 days. Confirmation "
                "has been sent to {email}.",
                "To delete a client's data, open the customer, choose '...' > 'Delete "
                "permanently'. This removes their bookings, notes and invoices from all reports.",
                "The account and all data will be deleted 14 days after cancellation, as per our "
                "data processing agreement. I've scheduled it and you'll get a confirmation.",
            ),
        },
        {
            "key": "data_export",
            "priority": "minor",
            "sentiment": "calm",
            "subjects": (
                "Subject access request",
                "Copy of all data you hold",
                "Full data export for compliance",
                "Where is our data stored?",
            ),
            "leads": (
                "We'd like a full export of all data you hold about our company.",
                "A customer sent us a subject access request; how do we export their data?",
                "Where is our data physically stored, and is it encrypted?",
            ),
            "details": (
                "Our auditors are asking.",
                "We need it within 30 days.",
                "We're based in {country}.",
                "Please include access logs.",
            ),
            "resolutions": (
                "Account owners can export everything under Settings > Data > Full export; you'll "
                "get a ZIP of {file_type} files by email within an hour.",
                "Data is stored in EU data centres (Frankfurt and Dublin), encrypted at rest with "
                "AES-256 and in transit with TLS 1.2+. Details are in our security whitepaper.",
                "Open the customer and use '...' > 'Export personal data' to produce the SAR "
                "package for that person.",
            ),
        },
        {
            "key": "compliance_docs",
            "priority": "minor",
            "sentiment": "friendly",
            "subjects": (
                "SOC 2 report request",
                "Data processing agreement",
                "Security questionnaire",
                "Need your DPA signed",
            ),
            "leads": (
                "Could you send us your SOC 2 Type II report?",
                "We need a signed data processing agreement before renewing.",
                "Our IT department sent a security questionnaire for you to fill in.",
            ),
            "details": (
                "Happy to sign an NDA.",
                "Our renewal date is {date}.",
                "The questionnaire has about 40 questions.",
                "We're in the healthcare sector.",
            ),
            "resolutions": (
                "The SOC 2 Type II report is available under NDA from our trust portal at "
                "trust.cloudpeak.example; I've granted access to {email}.",
                "Our standard DPA is pre-signed and available under Settings > Legal. If you "
                "need changes, our legal team will review them.",
                "Most answers are in our standard security questionnaire (CAIQ), which I've "
                "attached; our security team will fill in the remaining questions within a week.",
            ),
        },
        {
            "key": "phishing",
            "priority": "elevated",
            "sentiment": "mixed",
            "subjects": (
                "Phishing email pretending to be {brand}",
                "Is this email from you?",
                "Suspicious invoice email",
                "Fake {brand} login page",
            ),
            "leads": (
                "We received an email that looks like it's from {brand} asking us to update our "
                "card details.",
                "Is this 'account suspended' email really from you? The link looks strange.",
                "Someone is sending fake {brand} invoices to our customers.",
            ),
            "details": (
                "The sender address was slightly different.",
                "{colleague} clicked the link before we noticed.",
                "I forwarded the email to you.",
                "The link goes to a domain I don't recognise.",
            ),
            "resolutions": (
                "That email is a phishing attempt and not from us. We've reported the domain for "
                "takedown. If anyone entered their password, reset it and enable 2FA.",
                "Thanks for forwarding it. We never ask for card details by email. Since "
                "{colleague} clicked the link, I've reset their sessions as a precaution.",
                "We've added a warning to our status page and are working with the hosting "
                "provider to remove the fake page.",
            ),
        },
        {
            "key": "leaked_key",
            "priority": "critical",
            "sentiment": "mixed",
            "subjects": (
                "API key accidentally published",
                "Leaked credentials on GitHub",
                "Please revoke our API key",
                "Exposed secret",
            ),
            "leads": (
                "A developer accidentally pushed one of our API keys to a public GitHub repo.",
                "I think our API credentials were exposed, please revoke them.",
                "We shared an API key in a public forum by mistake.",
            ),
            "details": (
                "The key was public for about {minutes} minutes.",
                "We need to know if it was used.",
                "We already removed the commit.",
                "The key had full admin scope.",
            ),
            "resolutions": (
                "I've revoked the key. The logs show no requests from unknown IPs while it was "
                "exposed. Create a new key with the narrowest scope you need.",
                "The key is revoked. It was used twice from {ip}, both read-only calls to "
                "{endpoint}; our security team is sending you the full log.",
                "Revoked. Since the key had admin scope, we also rotated your webhook secrets.",
            ),
        },
    ),
}

GENERAL = {
    "name": "General Inquiry",
    "description": "Pricing questions, how-to questions, trials, training and general feedback.",
    "confusable_with": ("Billing", "Feature Request"),
    "intents": (
        {
            "key": "pricing",
            "priority": "minor",
            "sentiment": "calm",
            "subjects": (
                "Pricing question",
                "Nonprofit discount?",
                "Difference between {plan} and {plan2}",
                "Price for {count} users",
            ),
            "leads": (
                "Do you offer a discount for nonprofits or schools?",
                "What's the difference between the {plan} and {plan2} plans?",
                "How much would it cost for {count} users?",
            ),
            "details": (
                "We're comparing a few tools.",
                "We're a registered charity.",
                "We'd pay annually.",
                "We mostly need {product}.",
            ),
            "resolutions": (
                "Registered nonprofits get 30% off any plan. Send us your registration document "
                "and we'll apply the discount.",
                "{plan2} adds custom roles, API access and priority support to everything in "
                "{plan}. The full comparison is on our pricing page.",
                "For {count} users on annual billing the price would be {amount} per month; "
                "I've sent a formal quote to {email}.",
            ),
        },
        {
            "key": "how_to",
            "priority": "minor",
            "sentiment": "friendly",
            "subjects": (
                "How do I set up {product}?",
                "Question about {product}",
                "How to add a new location",
                "Help getting started",
            ),
            "leads": (
                "How do I set up {product} for a second location?",
                "Is there a way to copy last week's schedule in {product}?",
                "We're new and not sure where to start with {product}.",
            ),
            "details": (
                "I looked in the help centre but couldn't find it.",
                "A short video would be great.",
                "We're moving over from spreadsheets.",
                "{colleague} will be the main user.",
            ),
            "resolutions": (
                "Go to Settings > Locations > Add location; each location can have its own "
                "{product} settings. Step-by-step guide: https://help.cloudpeak.example/locations",
                "In {product}, open the week view and use 'Copy week' in the top menu. You can "
                "also make it repeat automatically.",
                "Welcome aboard! I've booked a free 30-minute onboarding call for you and "
                "{colleague}; the invite is in your inbox.",
            ),
        },
        {
            "key": "trial",
            "priority": "minor",
            "sentiment": "friendly",
            "subjects": (
                "Extend our trial",
                "Trial ending soon",
                "More time to evaluate",
                "Trial extension for {company}",
            ),
            "leads": (
                "Could you extend our free trial by a couple of weeks?",
                "Our trial ends on {date} and we haven't finished evaluating.",
                "Can we get more time to test {product}?",
            ),
            "details": (
                "Our manager is on holiday.",
                "We'd like to test the {integration} integration first.",
                "So far we like it a lot.",
                "We're comparing {brand} with two other tools.",
            ),
            "resolutions": (
                "Happy to help: I've extended your trial by 14 days. Let me know if you'd like a "
                "demo of {product} in the meantime.",
                "Your trial now runs until the end of next month. I've also enabled the "
                "{integration} integration so you can try it.",
                "I've extended the trial and asked one of our product specialists to reach out "
                "to answer your evaluation questions.",
            ),
        },
        {
            "key": "sales_contact",
            "priority": "normal",
            "sentiment": "calm",
            "subjects": (
                "Talk to sales about Enterprise",
                "Partnership inquiry",
                "Reseller program?",
                "Quote for {count} locations",
            ),
            "leads": (
                "We'd like to talk to someone about the Enterprise plan for {count} locations.",
                "Do you have a partner or reseller program?",
                "Can we get a formal quote for our procurement department?",
            ),
            "details": (
                "We're currently using a competitor.",
                "Our budget cycle starts in {month}.",
                "We need invoicing in EUR.",
                "Please call me at your convenience.",
            ),
            "resolutions": (
                "I've passed your details to our sales team; {agent} from the Enterprise team will "
                "contact you within one business day.",
                "We have a partner program with revenue share for agencies. I've sent the partner "
                "application form to {email}.",
                "A formal quote for {count} locations has been sent to {email}; it's valid for "
                "30 days.",
            ),
        },
        {
            "key": "training",
            "priority": "minor",
            "sentiment": "friendly",
            "subjects": (
                "Training for new staff",
                "Webinar schedule?",
                "Onboarding session",
                "Do you offer training?",
            ),
            "leads": (
                "Do you offer training sessions for new staff?",
                "When is the next webinar on {product}?",
                "We have {count} new employees starting and would like an onboarding session.",
            ),
            "details": (
                "Ideally in the morning.",
                "Recorded sessions would also work.",
                "They start on {date}.",
                "A certificate would be a bonus.",
            ),
            "resolutions": (
                "Our free live webinars run every {weekday}; you can sign up at "
                "https://cloudpeak.example/webinars. Recordings are in the help centre.",
                "I've scheduled a 1-hour onboarding session for your new staff on {date}; the "
                "calendar invite was sent to {email}.",
                "Yes! The {brand} Academy has self-paced courses with certificates for each "
                "product, including {product}.",
            ),
        },
        {
            "key": "feedback",
            "priority": "minor",
            "sentiment": "friendly",
            "subjects": (
                "Feedback",
                "Just wanted to say thanks",
                "Compliments to {agent}",
                "Feedback on the new design",
            ),
            "leads": (
                "Just wanted to say thank you, {brand} has made our life much easier.",
                "{agent} from your team was incredibly helpful last week.",
                "Some feedback on the new design of {product}.",
            ),
            "details": (
                "We've saved hours every week.",
                "The new colours are a bit hard to read though.",
                "I recommended you to a friend.",
                "Please pass this on.",
            ),
            "resolutions": (
                "Thank you so much for the kind words! I've shared them with the whole team, "
                "and especially with {agent}.",
                "Thanks for the feedback on the new design. I've passed the readability point to "
                "our design team; a high-contrast option is coming soon.",
                "That really made our day, thank you! If you ever need anything, we're here.",
            ),
        },
    ),
}

CATEGORIES = (
    BILLING,
    TECHNICAL,
    ACCOUNT,
    FEATURE_REQUEST,
    BUG_REPORT,
    SHIPPING,
    REFUNDS,
    INTEGRATIONS_API,
    SECURITY,
    GENERAL,
)
