"""Reports for people and tools: the published figures (flows/reports) rendered as Markdown,
CSV, JSON, HTML with charts and PDF, in French or English, and the short /stats text."""
