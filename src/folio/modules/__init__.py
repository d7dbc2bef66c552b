"""Learning modules: course pages, and packages any LMS can import.

pages     module_jobs(site, rendered): catalogue, overview, lessons, print page
packages  build_packages(site, rendered, read_file): the three downloads per module
offline   self-contained lesson HTML shared by every package format
imscc     IMS Common Cartridge 1.1; scorm: SCORM 1.2; export_zip: folio's own package
importer  folio module import: untrusted packages into modules/<slug>/
"""
