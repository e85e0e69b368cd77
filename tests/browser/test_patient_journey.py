"""The patient's journey in Chromium: the results SMS arrives (notify's log provider), its
link leads to sign-up, My studies shows the study with its state, the report opens, the
images load and change as the patient scrolls and changes the contrast, the study downloads
as a zip, and a doctor opens the study with a share code. Then the same on a phone, with
touch, and the notification preferences. Screenshots of each step are kept under
test-artifacts/browser/."""

from __future__ import annotations

import re
import zipfile
from datetime import date

import pytest
from playwright.sync_api import expect
from pydicom import dcmread
from pydicom.fileset import FileSet

from radbridge.clinical.choices import OrderStatus
from radbridge.clinical.models import Order
from radbridge.core import outbox
from radbridge.core.models import OutboxEvent
from radbridge.notify import delivery
from radbridge.notify.models import ContactPreference, Delivery
from tests.browser.conftest import ARTIFACTS, Screens
from tests.browser.signing_in import PASSWORD, sign_in
from tests.imaging.conftest import dicom_storage_dir  # noqa: F401 - autouse: files in tmp
from tests.imaging.helpers import receive
from tests.notify.conftest import MOBILE, MOBILE_E164, report_event
from tests.personas import make_location, make_order, make_patient, make_patient_user, make_site

pytestmark = pytest.mark.django_db(transaction=True)
BIRTH_DATE = date(1971, 3, 14)
REPORT = "Impression: no pulmonary nodule. Lungs clear."


@pytest.fixture
def notify_to_live_server(settings, live_server):
    settings.PUBLIC_URL = live_server.url
    settings.NOTIFY_QUIET_HOURS = "off"
    settings.NOTIFY_SMS_PROVIDER = "log"
    settings.NOTIFY_PHONE_REGION = "US"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def reported_study_with_images(patient, images: int = 5) -> Order:
    order = make_order(patient, location=make_location(make_site("Springfield Imaging")),
                       report_text=REPORT)
    study_uid = f"1.2.826.0.1.3680043.10.77.{order.pk}"
    for number in range(1, images + 1):
        receive(study_uid, accession=order.accession_number,
                patient_id=patient.identifiers.get().value, instance_number=number,
                WindowCenter=2000, WindowWidth=4000)
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.FINAL)
    return order


def results_sms(order) -> str:
    report_event(order)
    outbox.relay_once()
    assert delivery.send_due() >= 1
    sms = Delivery.objects.get(channel="sms", kind="report_ready")
    assert sms.to_address == MOBILE_E164 and sms.status == "sent"
    return sms.body


def viewer_state(page) -> tuple[str, str, str]:
    viewer = page.locator("#viewer")
    return (viewer.get_attribute("data-index"), viewer.get_attribute("data-window"),
            viewer.get_attribute("data-loaded"))


def wait_for_frame(page, url_part: str):
    expect(page.locator("#viewer")).to_have_attribute("data-loaded", re.compile(url_part))
    expect(page.locator("#frame")).to_have_js_property("complete", True)


def test_patient_from_results_sms_to_images_download_and_share(page, notify_to_live_server,
                                                               tmp_path, browser, live_server):
    patient = make_patient(birth_date=BIRTH_DATE, phone=MOBILE)
    order = reported_study_with_images(patient)

    # The results SMS carries a sign-up link (no account yet) and no clinical detail.
    body = results_sms(order)
    link = re.search(r"https?://\S+/signup/inv_[\w-]+/", body).group(0)
    assert "nodule" not in body

    page.goto(link)
    page.get_by_label("Date of birth").fill(BIRTH_DATE.isoformat())
    page.screens.shot("signup-birth-date")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/account/")
    code = OutboxEvent.objects.filter(topic="auth.one_time_code").latest("id").payload["code"]
    page.get_by_label("Code we sent to your phone").fill(code)
    page.get_by_label("Choose a user name").fill("jane")
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()

    # My studies: the study, its state, marked new.
    page.wait_for_url("**/my/studies/")
    card = page.locator(f'[data-accession="{order.accession_number}"]')
    expect(card.locator(".state-report")).to_have_text("Report ready")
    expect(card.locator(".state-new")).to_be_visible()
    page.screens.shot("my-studies")

    card.get_by_role("link", name="Read the report").click()
    expect(page.locator("#report-text")).to_contain_text("no pulmonary nodule")
    page.screens.shot("report")

    page.goto(f"/studies/{order.pk}/images/")
    wait_for_frame(page, r"/frames/1/$")
    first_picture = page.locator("#viewport").screenshot()
    page.screens.shot("viewer")

    # Scroll: the wheel, then the keyboard, then the slider.
    page.locator("#viewport").hover()
    page.mouse.wheel(0, 120)
    expect(page.locator("#viewer")).to_have_attribute("data-index", "2")
    page.locator("#viewport").focus()
    page.keyboard.press("End")
    expect(page.locator("#viewer")).to_have_attribute("data-index", "5")
    page.locator("#frame-slider").fill("3")
    expect(page.locator("#viewer")).to_have_attribute("data-index", "3")
    expect(page.locator("#frame-status")).to_contain_text("Image 3 of 5")

    # Window/level: a preset, then a drag with the contrast tool; the picture changes.
    page.get_by_role("button", name="Bone").click()
    wait_for_frame(page, r"window=480\.0,2500\.0")
    page.get_by_role("button", name="Contrast").click()
    box = page.locator("#viewport").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 150, y + 40, steps=5)
    page.mouse.up()
    assert viewer_state(page)[1] not in ("default", "480,2500")
    wait_for_frame(page, r"window=")
    # The instant preview gives way to the server's rendering of the final window.
    expect(page.locator("#frame")).not_to_have_attribute("style", re.compile("window-preview"))
    changed_picture = page.locator("#viewport").screenshot()
    assert changed_picture != first_picture
    page.screens.shot("viewer-contrast")

    # A new window shows at once, remapped in the browser, while the server renders it.
    held = []
    page.route("**/frames/**", lambda route: held.append(route))
    page.get_by_role("button", name="Lung").click()
    expect(page.locator("#frame")).to_have_attribute("style", re.compile("window-preview"))
    for route in held:
        route.continue_()
    page.unroute("**/frames/**")
    wait_for_frame(page, r"window=-600\.0,1500\.0")
    expect(page.locator("#frame")).not_to_have_attribute("style", re.compile("window-preview"))

    # Zoom with the button: the image grows on screen.
    before = page.locator("#frame").bounding_box()["width"]
    page.get_by_role("button", name="Zoom in").click()
    expect(page.locator("#frame")).to_have_attribute(
        "style", re.compile(r"scale\(1\.25\)"))
    assert page.locator("#frame").bounding_box()["width"] > before

    # Download a copy: a zip with a DICOMDIR naming the five images.
    page.goto("/my/studies/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download a copy").click()
    saved = tmp_path / "study.zip"
    download_info.value.save_as(saved)
    archive = zipfile.ZipFile(saved)
    folder = tmp_path / "copy"
    archive.extractall(folder)
    assert len(list(FileSet(dcmread(folder / "DICOMDIR")))) == 5
    assert archive.read("REPORT.PDF").startswith(b"%PDF")

    # Share with a doctor: a code, then the doctor opens the study with it.
    page.goto(f"/my/sharing/?order={order.pk}")
    page.get_by_label("Who is it for? (optional)").fill("Dr Jones")
    page.get_by_role("button", name="Create a share code").click()
    share_code = page.locator("#share-code").inner_text()
    page.screens.shot("share-code")
    doctor = browser.new_context(base_url=live_server.url).new_page()
    doctor_violations = []
    doctor.on("console", lambda m: doctor_violations.append(m.text)
              if "Content Security Policy" in m.text else None)
    doctor.goto("/share/")
    doctor.get_by_label("Share code").fill(share_code)
    doctor.get_by_label("Date of birth").fill(BIRTH_DATE.isoformat())
    doctor.get_by_role("button", name="Open").click()
    expect(doctor.get_by_text("no pulmonary nodule")).to_be_visible()
    # The doctor sees the images too, in the same viewer, through the share's own URLs.
    doctor.get_by_role("link", name="View images").click()
    doctor.wait_for_url("**/share/*/images/")
    wait_for_frame(doctor, r"^/share/\d+/images/\d+/frames/1/$")
    assert doctor.locator("#frame").evaluate("image => image.naturalWidth") > 0
    expect(doctor.locator(".series-button img").first).to_have_js_property("complete", True)
    assert doctor.locator(".series-button img").first.evaluate("i => i.naturalWidth") > 0
    first_frame = viewer_state(doctor)[2]
    doctor.locator("#viewport").hover()
    doctor.mouse.wheel(0, 120)
    expect(doctor.locator("#viewer")).to_have_attribute("data-index", "2")
    expect(doctor.locator("#viewer")).not_to_have_attribute("data-loaded", first_frame)
    wait_for_frame(doctor, r"^/share/\d+/images/\d+/frames/1/$")
    doctor.screens = Screens(doctor, ARTIFACTS / "doctor-with-a-share-code")
    doctor.screens.shot("shared-viewer")
    doctor.context.close()
    assert not doctor_violations, doctor_violations


def test_on_a_phone_my_studies_fit_and_a_finger_scrolls_the_images(browser, live_server,
                                                                   actor):
    patient = make_patient(birth_date=BIRTH_DATE, phone=MOBILE)
    reported_study_with_images(patient, images=4)
    make_patient_user(patient, username="jane", password=PASSWORD)
    context = browser.new_context(base_url=live_server.url, has_touch=True, is_mobile=True,
                                  viewport={"width": 375, "height": 740},
                                  device_scale_factor=2)
    phone = context.new_page()
    violations = []
    phone.on("console", lambda m: violations.append(m.text)
             if "Content Security Policy" in m.text else None)
    phone.screens = Screens(phone, ARTIFACTS / "patient-on-a-phone")
    sign_in(phone, "jane")
    phone.wait_for_url("**/my/studies/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    expect(phone.locator(".state-report")).to_have_text("Report ready")
    phone.screens.shot("my-studies-phone")

    phone.get_by_role("link", name="View images").click()
    wait_for_frame(phone, r"/frames/1/$")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.locator("#viewport").scroll_into_view_if_needed()  # the menu grows on a phone
    box = phone.locator("#viewport").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 3
    touch = context.new_cdp_session(phone)
    touch.send("Input.dispatchTouchEvent",
               {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for step in range(1, 6):
        touch.send("Input.dispatchTouchEvent",
                   {"type": "touchMove", "touchPoints": [{"x": x, "y": y + step * 6}]})
    touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    expect(phone.locator("#viewer")).to_have_attribute("data-index", "4")
    wait_for_frame(phone, r"/frames/1/$")
    phone.screens.shot("viewer-phone")
    context.close()
    assert not violations, violations


def test_patient_chooses_email_in_french_with_quiet_hours(page, notify_to_live_server):
    patient = make_patient(birth_date=BIRTH_DATE, phone=MOBILE)
    make_patient_user(patient, username="jane", password=PASSWORD)
    sign_in(page, "jane")
    page.get_by_role("link", name="Notifications").click()
    page.get_by_label("Email only").check()
    page.get_by_label("Language of messages").select_option("fr")
    page.get_by_label("Quiet hours from").fill("22:00")
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_text("Give both ends of your quiet hours")).to_be_visible()
    page.screens.shot("preferences-error")
    page.get_by_label("Quiet hours until").fill("07:30")
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_text("Your notification preferences are saved.")).to_be_visible()
    page.screens.shot("preferences-saved")
    saved = ContactPreference.objects.get(patient=patient)
    assert (saved.channels, saved.language, str(saved.quiet_hours_end)) == (
        "email", "fr", "07:30:00")
