// After a passkey is added (django-otp-webauthn's register script fires the event), go on:
// to the new backup codes when it was the first second factor, else back to the page's list.
document.addEventListener("otp_webauthn.register_complete", function (event) {
  var box = document.getElementById("passkeys");
  var response = (event.detail && event.detail.response) || {};
  var next = box ? box.getAttribute("data-next") : "";
  var target = response.redirect_url || (box && box.getAttribute("data-done-url")) || window.location.pathname;
  if (next && response.redirect_url) {
    target += "?next=" + encodeURIComponent(next);
  }
  window.location.assign(target);
});
