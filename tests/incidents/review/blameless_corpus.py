"""A labelled corpus for the blameless-language check.

Each row is (sentence, label, source). Label `blame` means a blameless reviewer would ask for a rewrite
(blaming, minimising, counterfactual or hindsight language); `neutral` means the sentence describes the
system and may stay. Rows marked with a source are paraphrased from public postmortems (the wording is ours;
facts only): GitLab 2017-01-31, AWS S3 2017-02-28, Cloudflare 2019-07-02, Facebook 2021-10-04,
Atlassian 2022-04, GitHub 2018-10-21, Knight Capital 2012-08-01, Slack 2021-01-04, Google Cloud 2019-06-02.
The others are written for this corpus. `NAMES` are the users "in the system" for this corpus.
"""

from __future__ import annotations

NAMES = ["Alice Moreau", "Bob Tanaka", "Chidi Okafor", "Dana Ruiz", "Søren Ødegaard"]

BLAME = "blame"
NEUTRAL = "neutral"

CORPUS: list[tuple[str, str, str]] = [
    # --- blaming, minimising, counterfactual, hindsight -----------------------------------------------
    ("The engineer ran rm -rf on the wrong host because he was tired.", BLAME, "GitLab 2017"),
    ("Alice deleted the production data directory instead of the secondary's.", BLAME, "GitLab 2017"),
    ("The outage was caused by human error during database maintenance.", BLAME, "GitLab 2017"),
    ("Nobody bothered to check whether the backups actually worked.", BLAME, "GitLab 2017"),
    ("It was clear that the backups had been failing for weeks.", BLAME, "GitLab 2017"),
    ("Had they tested a restore even once, no data would have been lost.", BLAME, "GitLab 2017"),
    ("An engineer mistyped a parameter and removed far more servers than intended.", BLAME, "AWS S3 2017"),
    ("The on-call engineer made a typo in the playbook command.", BLAME, "AWS S3 2017"),
    ("Bob should have double-checked the input before pressing enter.", BLAME, "AWS S3 2017"),
    ("The developer who wrote the regex was careless about backtracking.", BLAME, "Cloudflare 2019"),
    ("Obviously nobody reviewed the WAF rule before it went global.", BLAME, "Cloudflare 2019"),
    ("If only the rule had been rolled out gradually, we would have been fine.", BLAME, "Cloudflare 2019"),
    ("The network engineer issued a command that took down the whole backbone.", BLAME, "Facebook 2021"),
    ("The audit tool's author made a mistake that let the bad command through.", BLAME, "Facebook 2021"),
    (
        "The team member ran the script with the wrong list of IDs and deleted 400 customer sites.",
        BLAME,
        "Atlassian 2022",
    ),
    ("Chidi failed to verify the site IDs before running the deletion.", BLAME, "Atlassian 2022"),
    ("The operator simply failed over to the other region without thinking.", BLAME, "GitHub 2018"),
    (
        "The technician who deployed the old code to the eighth server was negligent.",
        BLAME,
        "Knight Capital 2012",
    ),
    ("Someone forgot to copy the new code to one of the servers.", BLAME, "Knight Capital 2012"),
    ("The new engineer ignored the autoscaling warning.", BLAME, "Slack 2021"),
    ("Dana just restarted the cluster without telling anyone.", BLAME, "Google Cloud 2019"),
    ("The intern pushed a bad config to production.", BLAME, ""),
    ("This was a rookie mistake by the junior developer.", BLAME, ""),
    ("The root of the problem is that the reviewer did not read the diff.", BLAME, ""),
    ("He forgot to renew the TLS certificate.", BLAME, ""),
    ("She was sloppy with the migration script.", BLAME, ""),
    ("The release manager should've waited for the canary.", BLAME, ""),
    ("In hindsight, the spike in errors was an obvious sign.", BLAME, ""),
    ("We failed to notice the replication lag for three hours.", BLAME, ""),
    ("Søren Ødegaard broke the login page with his refactor.", BLAME, ""),
    ("It was operator error, plain and simple.", BLAME, ""),
    ("The DBA ignored the disk-space alert over the weekend.", BLAME, ""),
    ("The warning signs were there for anyone who looked.", BLAME, ""),
    ("The fix was trivial: you just roll back the deploy.", BLAME, ""),
    ("The blame lies with the contractor who set up the firewall.", BLAME, ""),
    ("Any competent engineer would have seen that the disk was full.", BLAME, ""),
    ("The on-call engineer accidentally dropped the users table.", BLAME, ""),
    ("Their careless handling of the credentials exposed the keys.", BLAME, ""),
    ("The engineer should have known that staging used different disks.", BLAME, ""),
    ("If Bob had followed the runbook, the replica would have survived.", BLAME, ""),
    # --- neutral: the system, what happened, what people saw -----------------------------------------
    ("A command meant to clear the secondary's data directory ran on the primary.", NEUTRAL, "GitLab 2017"),
    ("The shell prompts on both hosts looked the same, so the host was not visible.", NEUTRAL, "GitLab 2017"),
    ("pg_dump backups were empty because the tool version did not match the server.", NEUTRAL, "GitLab 2017"),
    ("Backup failure emails were rejected by the mail policy, so nobody saw them.", NEUTRAL, "GitLab 2017"),
    ("Disk snapshots had never been enabled for the database hosts.", NEUTRAL, "GitLab 2017"),
    ("pg_basebackup hung without printing any progress output.", NEUTRAL, "GitLab 2017"),
    (
        "Copying data from staging took about 18 hours because the staging disks were slow.",
        NEUTRAL,
        "GitLab 2017",
    ),
    (
        "A playbook command accepted an input that removed more capacity than intended.",
        NEUTRAL,
        "AWS S3 2017",
    ),
    ("The tool had no lower bound on how much capacity one command could remove.", NEUTRAL, "AWS S3 2017"),
    (
        "A regular expression in a new WAF rule backtracked and used 100% CPU on every edge server.",
        NEUTRAL,
        "Cloudflare 2019",
    ),
    ("The rule deployment path skipped the staged rollout used for code.", NEUTRAL, "Cloudflare 2019"),
    (
        "A capacity-assessment command withdrew the backbone routes, and the audit tool did not stop it.",
        NEUTRAL,
        "Facebook 2021",
    ),
    ("The deletion script accepted site IDs where app IDs were expected.", NEUTRAL, "Atlassian 2022"),
    (
        "A 43-second network partition led the orchestrator to promote a primary in another region.",
        NEUTRAL,
        "GitHub 2018",
    ),
    (
        "The deploy process did not check that every server received the new code.",
        NEUTRAL,
        "Knight Capital 2012",
    ),
    (
        "Autoscaling could not add instances fast enough after the holiday traffic returned.",
        NEUTRAL,
        "Slack 2021",
    ),
    ("A configuration change reduced network capacity in several regions.", NEUTRAL, "Google Cloud 2019"),
    ("The on-call engineer restarted the replica at 22:05 UTC.", NEUTRAL, ""),
    ("Alice paged the database team when replication lag passed ten minutes.", NEUTRAL, ""),
    ("Bob took a manual LVM snapshot of the production database at 17:20.", NEUTRAL, ""),
    ("Just after 23:00 the replica stopped accepting WAL segments.", NEUTRAL, ""),
    ("The backup job failed to upload its archive because the bucket was full.", NEUTRAL, ""),
    ("The migration failed to acquire a lock and retried for twenty minutes.", NEUTRAL, ""),
    ("The runbook did not say which host was the primary.", NEUTRAL, ""),
    ("Nothing required a second person to approve a destructive command on production.", NEUTRAL, ""),
    ("The alert threshold was set at 90% disk, which left eleven minutes to react.", NEUTRAL, ""),
    (
        "Staging and production used different disk types, so the restore took longer than planned.",
        NEUTRAL,
        "",
    ),
    ("The intern's onboarding checklist now includes the backup dashboard.", NEUTRAL, ""),
    ("Chidi and Dana agreed to move the restore to a faster volume.", NEUTRAL, ""),
    ("Customers saw errors on checkout for 42 minutes.", NEUTRAL, ""),
    ("The feature flag took four minutes to switch off because the flag service cached values.", NEUTRAL, ""),
    ("Søren Ødegaard wrote the first status page update at 23:40.", NEUTRAL, ""),
    ("The certificate expired because renewal depended on a cron job that had been removed.", NEUTRAL, ""),
    ("The deploy tool allowed a change to reach all regions at once.", NEUTRAL, ""),
    ("The team rolled back the release at 14:12 and errors stopped within a minute.", NEUTRAL, ""),
    ("We had enough capacity left for just under an hour.", NEUTRAL, ""),
    ("The dashboard showed only replication lag, not that the WAL segments were gone.", NEUTRAL, ""),
    ("Database load rose as spam accounts created large numbers of snippets.", NEUTRAL, ""),
    ("The new engineer's first on-call shift started two hours before the alert.", NEUTRAL, ""),
    ("Tests covered the parser but not the rule compiler's worst-case inputs.", NEUTRAL, ""),
    # --- held out: written after the rules were tuned on the rows above, never tuned against -----------
    ("The SRE clobbered the config file while editing it by hand.", BLAME, "held-out"),
    ("Dana neglected to tell the support team about the maintenance window.", BLAME, "held-out"),
    ("Clearly the person on call wasn't paying attention.", BLAME, "held-out"),
    ("Why did nobody think to check the replication status first?", BLAME, "held-out"),
    ("This outage happened because of Alice's sloppy code review.", BLAME, "held-out"),
    ("The developer simply copied the wrong connection string.", BLAME, "held-out"),
    (
        "The load balancer marked all backends unhealthy after the health check path changed.",
        NEUTRAL,
        "held-out",
    ),
    ("Bob Tanaka ran the failover script at 02:14 as the runbook describes.", NEUTRAL, "held-out"),
    ("The queue grew to 2 million messages before the consumer caught up.", NEUTRAL, "held-out"),
    ("Our alerting did not cover the certificate expiry date.", NEUTRAL, "held-out"),
    ("Two engineers reviewed the change; neither review tool showed the deleted file.", NEUTRAL, "held-out"),
    ("The restore from the 17:20 snapshot finished just before 18:00.", NEUTRAL, "held-out"),
]
