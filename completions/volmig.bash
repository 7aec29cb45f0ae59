# bash completion for volmig (volmig completion bash)
#
# This shell only:  source <(volmig completion bash)      (add that line to ~/.bashrc to keep it)
# Every new shell:  volmig completion bash > ~/.local/share/bash-completion/completions/volmig
#                   (loaded on demand by the bash-completion package; without it, use the line above)
#
# It needs no bash-completion, defines the one function _volmig and no variable outside it, and may be sourced
# more than once. On each <Tab> it asks volmig: volmig complete -- <words so far>.

_volmig() {
    local line=${COMP_LINE:0:${COMP_POINT:-${#COMP_LINE}}}
    local -a words=()
    read -r -a words <<< "$line"
    local cur=""
    if [[ -n $line && $line != *[[:space:]] && ${#words[@]} -gt 0 ]]; then
        cur=${words[${#words[@]}-1]}
        unset 'words[${#words[@]}-1]'
    fi
    local out
    out=$(volmig complete -- "${words[@]:1}" "$cur" 2>/dev/null) || return 0
    local directive=${out##*:}
    case $directive in
        '' | *[!0-9]*) directive=0 ;;
        *) out=${out%:*} ;;
    esac
    (( directive & 1 )) && return 0
    (( directive & 2 )) && compopt -o nospace 2>/dev/null
    # Readline replaces only the end of the word: what follows its last COMP_WORDBREAKS character ('=', ':'), or
    # starts with it for '@' and '$' (bash's rl_special_prefixes). Each candidate is cut to that part.
    local breaks=${COMP_WORDBREAKS-$' \t\n"\x27@><=;|&(:'}
    local seg=$cur i
    for (( i = ${#cur} - 1; i >= 0; i-- )); do
        if [[ $breaks == *"${cur:i:1}"* ]]; then
            if [[ ${cur:i:1} == [@$] ]]; then seg=${cur:i}; else seg=${cur:i+1}; fi
            break
        fi
    done
    local typed=$cur
    [[ $cur == *=* ]] && typed=${cur#*=}
    local strip=$(( ${#typed} - ${#seg} ))
    (( strip < 0 )) && strip=0
    COMPREPLY=()
    local entry
    while IFS= read -r entry; do
        entry=${entry%%$'\t'*}
        [[ -n $entry ]] && COMPREPLY+=("${entry:strip}")
    done <<< "$out"
    return 0
}

complete -F _volmig volmig
