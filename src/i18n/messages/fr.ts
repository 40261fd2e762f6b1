import type { Messages } from './en'

/**
 * French. The SMS texts use only the GSM 03.38 alphabet (é, è, à, ù, É are in it; ç, ê, â, î,
 * ô, û and typographic apostrophes are not and would turn the whole text into UCS-2, 70
 * characters a segment): a plain apostrophe, no non-breaking spaces.
 */
export const fr: Messages = {
  minutes: (n) => (n === 1 ? '1 minute' : `${n} minutes`),
  sms: {
    code: {
      register: 'Votre code de vérification {app} est {code}. Valable {minutes}.',
      login: 'Votre code de connexion {app} est {code}. Valable {minutes}.',
      reset: 'Votre code de réinitialisation du mot de passe {app} est {code}. Valable {minutes}.',
      email_change: "Votre code de confirmation d'adresse e-mail {app} est {code}. Valable {minutes}.",
      phone_change: 'Votre code de confirmation de numéro {app} est {code}. Valable {minutes}.',
    },
    phone_changed:
      "Le numéro de votre compte {app} a été modifié : ce numéro ne permet plus de se connecter. Ce n'est pas vous ? Contactez le support.",
    mfa_reset:
      'Un administrateur a désactivé la validation en 2 étapes de votre compte {app} et fermé vos sessions. Pas vous ? Contactez le support.',
  },
  email: {
    hello: 'Bonjour,',
    hello_name: 'Bonjour {name},',
    ignore: "Si vous n'êtes pas à l'origine de cette demande, vous pouvez ignorer cet e-mail.",
    code: {
      subject: {
        register: 'Votre code de vérification {app}',
        login: 'Votre code de connexion {app}',
        reset: 'Réinitialisez votre mot de passe {app}',
        email_change: 'Confirmez votre adresse e-mail pour {app}',
        phone_change: 'Confirmez votre numéro de téléphone pour {app}',
      },
      intro: {
        register: 'Bienvenue ! Saisissez ce code pour terminer la création de votre compte.',
        login: 'Saisissez ce code pour vous connecter.',
        reset: "Quelqu'un (vous, espérons-le) a demandé à réinitialiser votre mot de passe.",
        email_change: 'Confirmez que cette adresse est bien la vôtre.',
        phone_change: 'Confirmez votre nouveau numéro de téléphone.',
      },
      line: 'Votre code {app} est {code}. Valable {minutes}.',
      link: {
        reset: 'Choisir un nouveau mot de passe',
        email_change: 'Confirmer mon adresse e-mail',
        other: 'Continuer',
      },
      link_text: '{label} : {link}',
      link_valid: '(valable {minutes}, une seule fois)',
      link_open: 'Ou ouvrez {link}',
    },
    notice: {
      password_changed: {
        subject: 'Le mot de passe de votre compte {app} a été modifié',
        line: 'Le mot de passe de votre compte {app} a été modifié. Vos autres sessions ont été déconnectées.',
      },
      password_reset: {
        subject: 'Le mot de passe de votre compte {app} a été modifié',
        line: 'Le mot de passe de votre compte {app} a été réinitialisé. Toutes vos sessions ont été déconnectées.',
      },
      password_set: {
        subject: 'Le mot de passe de votre compte {app} a été modifié',
        line: 'Un administrateur a défini un nouveau mot de passe pour votre compte {app}. Toutes vos sessions ont été déconnectées.',
      },
      email_changed: {
        subject: "L'adresse e-mail de votre compte {app} a été modifiée",
        line: "L'adresse e-mail de votre compte {app} a été modifiée : cette adresse ne permet plus de se connecter ni de réinitialiser le mot de passe.",
      },
      mfa_reset: {
        subject: 'La validation en deux étapes de votre compte {app} a été désactivée',
        line: 'Un administrateur a désactivé la validation en deux étapes de votre compte {app} et déconnecté toutes vos sessions. Connectez-vous pour la réactiver.',
      },
      not_you: "Si ce n'était pas vous, réinitialisez votre mot de passe dès maintenant et contactez le support.",
    },
    welcome: {
      subject: 'Bienvenue sur {app}',
      ready: 'Bienvenue sur {app} ! Votre compte est prêt et cette adresse e-mail est confirmée.',
      resets:
        'Vous pouvez vous connecter avec elle, et les réinitialisations de mot de passe de votre compte {app} arriveront ici.',
    },
  },
}
