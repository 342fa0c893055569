"""The staff Facebook Page link: the link row (`page_link`), cached token checks
(`token_checks`), the link flow (`linking`) and the link as staff see it (`link_state`).

Tokens are stored encrypted and never leave these modules. Posting to the Page lives in
`integrations.services.page_posts`, Facebook's own callbacks in `facebook_callbacks`.
"""
