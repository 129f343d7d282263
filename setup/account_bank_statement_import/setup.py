"""pip packaging of the addon as odoo-addon-account_bank_statement_import (OCA layout: odoo/addons/<addon> links here)."""

import ast
import pathlib

import setuptools

ADDON = "account_bank_statement_import"
HERE = pathlib.Path(__file__).resolve().parent
MANIFEST = ast.literal_eval((HERE / "odoo" / "addons" / ADDON / "__manifest__.py").read_text())

setuptools.setup(
    name=f"odoo-addon-{ADDON}",
    version=MANIFEST["version"],
    description=MANIFEST["summary"],
    license=MANIFEST["license"],
    author=MANIFEST["author"],
    url=MANIFEST["website"],
    packages=setuptools.find_namespace_packages(include=["odoo.addons.*"]),
    include_package_data=True,
    package_data={"": ["*", "*/*", "*/*/*", "*/*/*/*", "*/*/*/*/*"]},
    exclude_package_data={"": ["__pycache__/*", "*.pyc"]},
    install_requires=[
        "odoo>=19.0a,<19.1dev",
        *MANIFEST.get("external_dependencies", {}).get("python", []),
    ],
    python_requires=">=3.10",
    classifiers=["Framework :: Odoo", "Framework :: Odoo :: 19.0"],
)
