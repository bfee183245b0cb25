"""Reports of one result: the JSON without server paths (public_json) and a PDF (pdf_report), English or Chinese."""
