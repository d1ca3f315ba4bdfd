/** The journey layer: customer profiles, loyalty, promotions and consent (built on the backoffice layer's index). */
export {};
