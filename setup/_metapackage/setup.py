import setuptools

with open("VERSION.txt") as version_file:
    version = version_file.read().strip()

setuptools.setup(
    name="odoo-addons-bank-feeds",
    description="Meta package for the bank feeds addons (statement import, online sync)",
    version=version,
    install_requires=[
        "odoo-addon-account_bank_statement_import>=19.0dev,<19.1dev",
        "odoo-addon-account_online_synchronization>=19.0dev,<19.1dev",
    ],
    classifiers=[
        "Programming Language :: Python",
        "Framework :: Odoo",
        "Framework :: Odoo :: 19.0",
    ],
)
