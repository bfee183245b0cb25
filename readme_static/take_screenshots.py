"""Refresh the README's screenshots of the page (an explicit command: tests never write into readme_static/).

python -m readme_static.take_screenshots [--only NAME ...]

Starts the app on a free loopback port (python demo01.py) and drives it in headless Chromium (/usr/bin/chromium):
page_demo.png (desktop, English, after "use demo.nii"), page_zh.png (desktop, Chinese, chest X-ray example),
page_phone.png (390x844 phone, English, dermoscopy example), page_batch.png (several files at once, one broken),
page_error.png (a file that is not what its name says).
"""
import argparse
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "readme_static"
SAMPLES = OUT / "test"
CHROMIUM = "/usr/bin/chromium"


def _ready(page, text, timeout=180000):
    page.get_by_text(text).first.wait_for(timeout=timeout)
    page.wait_for_timeout(1200)  # images decoded, scroll settled


def demo(browser, url):
    page = browser.new_page(viewport={"width": 1200, "height": 900}, locale="en-US")
    page.goto(url)
    page.get_by_role("button", name="use demo.nii").click()
    _ready(page, "Downloads")
    page.screenshot(path=str(OUT / "page_demo.png"))
    page.close()


def chinese(browser, url):
    page = browser.new_page(viewport={"width": 1200, "height": 900}, locale="zh-CN")
    page.goto(url)
    page.get_by_role("button", name="胸部 X 光示例").click()
    _ready(page, "下载")
    page.screenshot(path=str(OUT / "page_zh.png"), full_page=True)
    page.close()


def phone(browser, url):
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="en-US", is_mobile=True, has_touch=True)
    page.goto(url)
    page.get_by_role("button", name="use demo.nii").wait_for()  # the page draws its buttons after loading
    page.screenshot(path=str(OUT / "page_phone_landing.png"))
    page.get_by_role("button", name="dermoscopy example").click()
    _ready(page, "Downloads")
    page.screenshot(path=str(OUT / "page_phone.png"))
    page.close()


def phone_zh(browser, url):
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True)
    page.goto(url)
    page.get_by_role("button", name="胸部 X 光示例").click()
    _ready(page, "下载")
    page.screenshot(path=str(OUT / "page_phone_zh.png"))
    page.close()


def batch(browser, url):
    tmp = Path(tempfile.mkdtemp())
    bad = tmp / "not_an_image.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 200)
    page = browser.new_page(viewport={"width": 1200, "height": 900}, locale="en-US")
    page.goto(url)
    page.get_by_role("button", name="upload a file").click()
    page.set_input_files("input[type=file]", [str(SAMPLES / n) for n in (
        "chest_RG1_UNCR.png", "skin_synthetic_lesion.jpg", "colin27_2mm.nii.gz")] + [str(bad)])
    page.get_by_role("button", name="start analysis").click()
    _ready(page, "all reports")
    page.screenshot(path=str(OUT / "page_batch.png"))
    page.close()


def error(browser, url):
    tmp = Path(tempfile.mkdtemp())
    bad = tmp / "scan.nii"
    bad.write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 3000)
    page = browser.new_page(viewport={"width": 1200, "height": 700}, locale="en-US")
    page.goto(url)
    page.get_by_role("button", name="upload a file").click()
    page.set_input_files("input[type=file]", str(bad))
    page.get_by_role("button", name="start analysis").click()
    _ready(page, "cannot be analysed", 60000)
    page.screenshot(path=str(OUT / "page_error.png"))
    page.close()


SHOTS = {"demo": demo, "zh": chinese, "phone": phone, "phone_zh": phone_zh, "batch": batch, "error": error}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="*", choices=list(SHOTS), default=list(SHOTS))
    a = ap.parse_args()
    from playwright.sync_api import sync_playwright
    from tests.conftest import running_app
    with running_app(tempfile.mkdtemp()) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        for name in a.only:
            SHOTS[name](browser, url)
            print(f"readme_static/page_{name}.png" if name != "zh" else "readme_static/page_zh.png", flush=True)
        browser.close()


if __name__ == "__main__":
    main()
