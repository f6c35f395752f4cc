#!/usr/bin/env python3
"""Checks the phone packaging files that cannot be built on machines without the SDKs:

- android/Cargo.toml: the [package.metadata.android] tables that cargo-apk turns into
  AndroidManifest.xml (the camera permission, SDK levels, name, icon, package id), and that
  the Rust code asks at run time for the same permission the manifest declares;
- the launcher icons in android/res/ and the App Store icon in ios/Assets.xcassets/;
- ios/Info.plist (a well-formed property list with NSCameraUsageDescription and the bundle
  keys) and ios/project.yml (points at that plist and at the cargo build step).

Standard library only (Python 3.11+ for tomllib). Prints one line per failed check and exits 1
if any failed, else prints a summary and exits 0.
"""
import json
import os
import plistlib
import re
import struct
import sys
import tomllib
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CAMERA = "android.permission.CAMERA"
# Camera2 NDK (ACameraManager) and AImageReader exist from API 24; runtime permissions from 23.
MIN_SDK_FLOOR = 24
ANDROID_DENSITIES = {"mdpi": 48, "hdpi": 72, "xhdpi": 96, "xxhdpi": 144, "xxxhdpi": 192}

failures = []
passed = 0


def check(ok, message):
    global passed
    if ok:
        passed += 1
    else:
        failures.append(message)
    return ok


def path(*parts):
    return os.path.join(ROOT, *parts)


def png_header(file):
    """(width, height, colour type) of a PNG file, or None when it is not one."""
    try:
        with open(file, "rb") as f:
            head = f.read(33)
    except OSError:
        return None
    if len(head) < 33 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    width, height, _depth, colour = struct.unpack(">IIBB", head[16:26])
    return width, height, colour


def lint_android():
    manifest_path = path("android", "Cargo.toml")
    try:
        with open(manifest_path, "rb") as f:
            cargo = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        check(False, f"android/Cargo.toml does not parse: {e}")
        return
    lib = cargo.get("lib", {})
    check("cdylib" in lib.get("crate-type", []), "android/Cargo.toml: [lib] must be a cdylib")
    dep = cargo.get("dependencies", {}).get("pocketpass", {})
    check(dep.get("path") == "..", "android/Cargo.toml: must depend on pocketpass at path '..'")
    check("workspace" in cargo, "android/Cargo.toml: needs its own [workspace] table")

    android = cargo.get("package", {}).get("metadata", {}).get("android")
    if not check(isinstance(android, dict), "android/Cargo.toml: no [package.metadata.android]"):
        return
    package = android.get("package", "")
    check(
        re.fullmatch(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+", package) is not None,
        f"android: package id {package!r} is not a valid Java package name",
    )
    permissions = [p.get("name") for p in android.get("uses_permission", [])]
    check(CAMERA in permissions, f"android: uses_permission lacks {CAMERA}")
    features = {f.get("name"): f for f in android.get("uses_feature", [])}
    camera_feature = features.get("android.hardware.camera")
    check(
        camera_feature is not None and camera_feature.get("required") is False,
        "android: uses_feature android.hardware.camera must be declared with required = false "
        "(a key can be added without a camera)",
    )
    sdk = android.get("sdk", {})
    min_sdk, target_sdk = sdk.get("min_sdk_version"), sdk.get("target_sdk_version")
    check(
        isinstance(min_sdk, int) and min_sdk >= MIN_SDK_FLOOR,
        f"android: min_sdk_version must be stated and at least {MIN_SDK_FLOOR} (Camera2 NDK)",
    )
    check(
        isinstance(target_sdk, int) and isinstance(min_sdk, int) and target_sdk >= min_sdk,
        "android: target_sdk_version must be stated and not below min_sdk_version",
    )
    check(
        "aarch64-linux-android" in android.get("build_targets", []),
        "android: build_targets must include aarch64-linux-android",
    )
    application = android.get("application", {})
    check(bool(application.get("label")), "android: application label (the app's name) is missing")
    icon = application.get("icon", "")
    m = re.fullmatch(r"@mipmap/([a-z0-9_]+)", icon)
    if check(m is not None, f"android: application icon {icon!r} is not a @mipmap resource"):
        res = android.get("resources", "")
        check(res == "res", "android: resources must be 'res' (android/res)")
        for density, size in ANDROID_DENSITIES.items():
            file = path("android", res, f"mipmap-{density}", f"{m.group(1)}.png")
            header = png_header(file)
            check(
                header is not None and header[:2] == (size, size),
                f"android: {os.path.relpath(file, ROOT)} must be a {size}×{size} PNG",
            )

    # The permission the code asks for at run time is the one the manifest declares.
    try:
        with open(path("src", "platform", "android.rs"), encoding="utf-8") as f:
            glue = f.read()
    except OSError:
        glue = ""
    check(
        f'pub const CAMERA: &str = "{CAMERA}";' in glue,
        "src/platform/android.rs must request the same camera permission the manifest declares",
    )
    check(
        "WindowManagerFlags::SECURE" in glue,
        "src/platform/android.rs must set FLAG_SECURE on the window",
    )


def lint_ios():
    plist_path = path("ios", "Info.plist")
    try:
        ET.parse(plist_path)
        with open(plist_path, "rb") as f:
            plist = plistlib.load(f)
    except (OSError, ET.ParseError, plistlib.InvalidFileException, ValueError) as e:
        check(False, f"ios/Info.plist is not a well-formed property list: {e}")
        return
    camera = plist.get("NSCameraUsageDescription")
    check(
        isinstance(camera, str) and len(camera.strip()) >= 20,
        "ios/Info.plist: NSCameraUsageDescription must say why the camera is used "
        "(iOS ends an app that opens the camera without it)",
    )
    for key, want in [
        ("CFBundleExecutable", "$(EXECUTABLE_NAME)"),
        ("CFBundleIdentifier", "$(PRODUCT_BUNDLE_IDENTIFIER)"),
        ("CFBundlePackageType", "APPL"),
    ]:
        check(plist.get(key) == want, f"ios/Info.plist: {key} must be {want!r}")
    check(bool(plist.get("CFBundleDisplayName")), "ios/Info.plist: CFBundleDisplayName is missing")
    check(isinstance(plist.get("UILaunchScreen"), dict), "ios/Info.plist: UILaunchScreen is missing")

    try:
        with open(path("ios", "project.yml"), encoding="utf-8") as f:
            spec = f.read()
    except OSError:
        spec = ""
    for needle, why in [
        ("INFOPLIST_FILE: Info.plist", "use ios/Info.plist"),
        ("script: ./build.sh xcode", "build the executable with ios/build.sh"),
        ("PRODUCT_BUNDLE_IDENTIFIER:", "name a bundle identifier"),
        ("ASSETCATALOG_COMPILER_APPICON_NAME: AppIcon", "use the AppIcon set"),
    ]:
        check(needle in spec, f"ios/project.yml must {why} ({needle!r})")
    check("\t" not in spec, "ios/project.yml: YAML must not contain tabs")

    icon_set = path("ios", "Assets.xcassets", "AppIcon.appiconset")
    try:
        with open(os.path.join(icon_set, "Contents.json"), encoding="utf-8") as f:
            images = json.load(f).get("images", [])
    except (OSError, ValueError) as e:
        check(False, f"ios: AppIcon Contents.json does not parse: {e}")
        return
    for image in images:
        header = png_header(os.path.join(icon_set, image.get("filename", "")))
        # Colour type 2: RGB without alpha, which App Store icons must be.
        check(
            header == (1024, 1024, 2),
            f"ios: AppIcon {image.get('filename')} must be a 1024×1024 PNG without alpha",
        )
    check(bool(images), "ios: the AppIcon set lists no image")


if __name__ == "__main__":
    lint_android()
    lint_ios()
    for failure in failures:
        print(f"lint-mobile: {failure}")
    print(f"lint-mobile: {passed} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)
