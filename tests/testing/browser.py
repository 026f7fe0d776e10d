"""A real headless browser for the pages the project writes (the attention explorer).

Debian's `chromium` and `chromium-driver`, driven by Selenium; `.ci/run` installs
them. Where they are missing, `headless_chromium` skips the test and says why.
"""

import contextlib
import os
import shutil

import pytest

CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
DRIVER_PATHS = ("/usr/bin/chromedriver",)
DESKTOP = (1280, 900)
PHONE = (390, 844)
ARROW_RIGHT = "\ue014"  # WebDriver's key code (selenium's Keys.ARROW_RIGHT)


def _first_existing(paths, name):
    found = [path for path in paths if os.path.exists(path)] or [shutil.which(name)]
    return found[0]


@contextlib.contextmanager
def headless_chromium(width_height=DESKTOP):
    """A Selenium Chrome driver on headless Chromium, its browser console logged."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")
    from selenium.webdriver.chrome.service import Service

    binary = _first_existing(CHROMIUM_PATHS, "chromium")
    driver_path = _first_existing(DRIVER_PATHS, "chromedriver")
    if not binary or not driver_path:
        pytest.skip("no Chromium here: install Debian's chromium and chromium-driver (as .ci/run does)")
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--hide-scrollbars", "--force-device-scale-factor=1"):
        options.add_argument(argument)
    options.binary_location = binary
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        driver.set_window_size(*width_height)
        yield driver
    finally:
        driver.quit()


def console_errors(driver):
    """The browser console's errors (and uncaught exceptions) since the last call."""
    return [entry for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]


def hover(driver, element):
    from selenium.webdriver import ActionChains

    ActionChains(driver).move_to_element(element).perform()


def select_value(driver, select_id, value):
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element("id", select_id)).select_by_value(str(value))


def weights_of(elements):
    return [float(element.get_attribute("data-weight")) for element in elements]
